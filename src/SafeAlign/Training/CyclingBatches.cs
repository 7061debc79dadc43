using SafeAlign.Tokenization;
using static TorchSharp.torch;

namespace SafeAlign.Training;

/// <summary>
/// An endless, seeded stream of batches from a second data set, drawn inside a step alongside the trainer's own batch:
/// Booster's harmful batches, Lisa's alignment batches. Each pass over the data is a fresh seeded permutation cut into
/// batches (the last one of a pass may be smaller), like a re-created <c>DataLoader(shuffle=True)</c> in the references.
/// </summary>
public sealed class CyclingBatches
{
    private readonly IReadOnlyList<TokenizedExample> _examples;
    private readonly int _batchSize, _padTokenId;
    private readonly int? _maxLength;
    private readonly long _seed;
    private readonly bool _sharePrefix;
    private int[] _order = [];
    private int _pass = -1, _next;

    /// <summary>Creates the stream.</summary>
    /// <param name="examples">The data; must not be empty.</param>
    /// <param name="batchSize">Examples per batch.</param>
    /// <param name="padTokenId">Pad id for collation.</param>
    /// <param name="maxLength">Truncate sequences to this many tokens; null keeps them whole.</param>
    /// <param name="seed">Seed of the per-pass permutations.</param>
    /// <param name="sharePrefix">Mark each batch's common prefix (<see cref="TrainingBatch.SharedPrefixLength"/>) so that
    /// <see cref="TokenLoss.Normalized(SafeAlign.Models.CausalLM, TrainingBatch, TokenLossNormalization)"/> computes it once;
    /// only for batches that reach the model through that loss.</param>
    /// <exception cref="ArgumentException">The data is empty or the batch size below 1.</exception>
    public CyclingBatches(IReadOnlyList<TokenizedExample> examples, int batchSize, int padTokenId, int? maxLength, long seed, bool sharePrefix = false)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0)
            throw new ArgumentException("CyclingBatches needs at least one example.", nameof(examples));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        (_examples, _batchSize, _padTokenId, _maxLength, _seed, _sharePrefix) = (examples, batchSize, padTokenId, maxLength, seed, sharePrefix);
    }

    /// <summary>Examples in the underlying data.</summary>
    public int Count => _examples.Count;

    /// <summary>The examples of the next batch, advancing the stream.</summary>
    public IReadOnlyList<TokenizedExample> NextExamples()
    {
        if (_next >= _order.Length)
        {
            _pass++;
            _order = Enumerable.Range(0, _examples.Count).ToArray();
            new Random(unchecked((int)(_seed * 1_000_003L + _pass))).Shuffle(_order);
            _next = 0;
        }
        var batch = _order.Skip(_next).Take(_batchSize).Select(i => _examples[i]).ToList();
        _next += batch.Count;
        return batch;
    }

    /// <summary>The next batch, collated on <paramref name="device"/> in the current dispose scope.</summary>
    public TrainingBatch Next(Device device) => TrainingBatch.Collate(NextExamples(), _padTokenId, device, _maxLength, _sharePrefix);
}
