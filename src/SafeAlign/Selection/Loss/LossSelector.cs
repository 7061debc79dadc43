using System.Diagnostics;
using SafeAlign.Evaluation;
using SafeAlign.Native;
using SafeAlign.Training;
using static TorchSharp.torch;

namespace SafeAlign.Selection.Loss;

/// <summary>
/// Loss-based baseline: scores each alignment row by the base model's token-mean response loss ℓ_i (one no-grad pass
/// per batch) and keeps the lowest ("loss") or highest ("loss-high") k. The model is only read.
/// </summary>
public sealed class LossSelector : IAlignmentDataSelector
{
    /// <summary>The name the lowest-loss baseline is registered under.</summary>
    public const string SelectorName = "loss";

    /// <summary>The name the highest-loss baseline is registered under.</summary>
    public const string HighestName = "loss-high";

    /// <summary>Creates the selector.</summary>
    /// <param name="options">Settings; defaults when null.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public LossSelector(LossSelectorOptions? options = null)
    {
        Options = options ?? new LossSelectorOptions();
        Options.Validate();
    }

    /// <summary>The selector's settings.</summary>
    public LossSelectorOptions Options { get; }

    /// <inheritdoc />
    public string Name => Options.Keep == KeepOrder.Lowest ? SelectorName : HighestName;

    /// <inheritdoc />
    public Task<AlignmentSelection> SelectAsync(SelectionRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        return ComputeThread.RunAsync(() =>
        {
            var clock = Stopwatch.StartNew();
            var rows = request.Data.Safety;
            var examples = InstructionExamples.Build(request.Tokenizer, Options.MaxLength, rows.Select(r => (r.Prompt, (string?)null, r.Response)));
            var losses = new double[examples.Count];
            using (no_grad())
            {
                for (int start = 0; start < examples.Count; start += Options.BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    var chunk = examples.Skip(start).Take(Options.BatchSize).ToList();
                    var batch = TrainingBatch.Collate(chunk, request.Tokenizer.PadId ?? 0, request.Model.Device, Options.MaxLength);
                    var perSample = TokenLoss.PerSample(request.Model, batch);
                    perSample.to(float64).cpu().data<double>().CopyTo(losses, start);
                }
            }
            double sign = Options.Keep == KeepOrder.Lowest ? -1 : 1;
            var scores = losses.Select(l => sign * l).ToArray();
            var kept = SelectionRanking.TopK(scores, Options.KeepCount(scores.Length));
            progress?.Report($"{Name}: kept {kept.Count} of {scores.Length}");
            return new AlignmentSelection(Name, kept, scores, clock.Elapsed);
        }, cancellationToken);
    }
}
