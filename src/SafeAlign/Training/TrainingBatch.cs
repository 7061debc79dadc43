using SafeAlign.Models;
using SafeAlign.Tokenization;
using static TorchSharp.torch;

namespace SafeAlign.Training;

/// <summary>A padded batch as the model and <see cref="TokenLoss"/> take it: ids, labels, attention mask, each (B, T).</summary>
/// <param name="InputIds">Token ids, int64, padded with the pad id.</param>
/// <param name="Labels">Labels, int64, <see cref="TokenLoss.IgnoreIndex"/> on padding.</param>
/// <param name="AttentionMask">1 for real tokens, 0 for padding, int64.</param>
/// <param name="Tokens">Real (unpadded) tokens in the batch.</param>
public sealed record TrainingBatch(Tensor InputIds, Tensor Labels, Tensor AttentionMask, long Tokens)
{
    /// <summary>
    /// The companion sequences of a batch of <see cref="PairedExample"/>s, padded to the same width as this batch so
    /// that position t of both refers to the same place (RepNoise compares them token by token); null otherwise.
    /// <see cref="Tokens"/> counts the primary sequences only.
    /// </summary>
    public TrainingBatch? Companion { get; init; }

    /// <summary>
    /// Leading positions every row shares (same ids, all real), which <see cref="TokenLoss.Normalized(CausalLM, TrainingBatch, TokenLossNormalization)"/>
    /// computes once (<see cref="CausalLM.HiddenStatesSharingPrefix"/>); 0 (the default) runs the plain forward. Set by
    /// <see cref="Collate"/> when asked; at most T − 1, and short of every row's last real token.
    /// </summary>
    public long SharedPrefixLength { get; init; }

    /// <summary>
    /// Pads <paramref name="examples"/> to the longest (right padding, as the harmful fine-tuning references),
    /// truncating to <paramref name="maxLength"/> when given. Tensors are created in the current dispose scope.
    /// When every example is a <see cref="PairedExample"/>, the companions are collated into <see cref="Companion"/>
    /// and both batches are padded to the longest sequence of either.
    /// </summary>
    /// <param name="examples">The examples.</param>
    /// <param name="padTokenId">Id used for padding.</param>
    /// <param name="device">Where the tensors go.</param>
    /// <param name="maxLength">Truncate to this many tokens; null keeps them whole.</param>
    /// <param name="sharePrefix">Find the rows' common prefix (<see cref="SharedPrefixLength"/>); not for paired batches.</param>
    /// <exception cref="ArgumentException">The batch is empty, or mixes paired and unpaired examples.</exception>
    public static TrainingBatch Collate(IReadOnlyList<TokenizedExample> examples, int padTokenId, Device device, int? maxLength = null, bool sharePrefix = false)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0)
            throw new ArgumentException("Cannot collate an empty batch.", nameof(examples));
        if (maxLength < 1)
            throw new ArgumentOutOfRangeException(nameof(maxLength), $"maxLength is {maxLength}; expected at least 1.");
        int paired = examples.Count(e => e is PairedExample);
        if (paired != 0 && paired != examples.Count)
            throw new ArgumentException($"The batch mixes {paired} paired and {examples.Count - paired} unpaired examples; a batch must be all one or the other.", nameof(examples));
        var companions = paired == 0 ? null : examples.Select(e => ((PairedExample)e).Companion).ToList();
        int longest = Math.Max(examples.Max(e => e.Length), companions?.Max(e => e.Length) ?? 0);
        int width = Math.Min(longest, maxLength ?? int.MaxValue);
        if (sharePrefix && companions is not null)
            throw new ArgumentException("A paired batch cannot share a prefix (its companions are separate sequences).", nameof(sharePrefix));
        return Pad(examples, width, padTokenId, device) with
        {
            Companion = companions is null ? null : Pad(companions, width, padTokenId, device),
            SharedPrefixLength = sharePrefix ? CommonPrefixLength(examples, width) : 0,
        };
    }

    // The ids all rows start with, stopping one short of the shortest row so that every row keeps a token of its own;
    // 0 when fewer than two rows or fewer than two shared tokens make sharing worthless.
    private static long CommonPrefixLength(IReadOnlyList<TokenizedExample> examples, int width)
    {
        if (examples.Count < 2)
            return 0;
        int shortest = Math.Min(width, examples.Min(e => e.Length));
        int[] first = examples[0].InputIds;
        int common = examples.Skip(1).Aggregate(shortest, (bound, e) => CommonLength(first, e.InputIds, bound));
        return UsablePrefix(examples.Count, common, shortest);
    }

    /// <summary>
    /// The prefix a pass of <paramref name="rows"/> rows shares, given the ids they all start with
    /// (<paramref name="common"/>) and the shortest row's length: one short of that row, and 0 under two rows or two ids.
    /// The trainer's pass boundaries count the same (<see cref="Trainer"/>).
    /// </summary>
    internal static int UsablePrefix(int rows, int common, int shortest)
    {
        int shared = rows >= 2 ? Math.Min(common, shortest - 1) : 0;
        return shared >= 2 ? shared : 0;
    }

    /// <summary>How many leading ids <paramref name="a"/> and <paramref name="b"/> share, up to <paramref name="limit"/>.</summary>
    internal static int CommonLength(int[] a, int[] b, int limit)
    {
        int bound = Math.Min(limit, Math.Min(a.Length, b.Length)), k = 0;
        while (k < bound && a[k] == b[k])
            k++;
        return k;
    }

    private static TrainingBatch Pad(IReadOnlyList<TokenizedExample> examples, int width, int padTokenId, Device device)
    {
        var ids = new long[examples.Count * width];
        var labels = new long[ids.Length];
        var mask = new long[ids.Length];
        long tokens = 0;
        for (int b = 0; b < examples.Count; b++)
        {
            int n = Math.Min(examples[b].Length, width);
            for (int t = 0; t < width; t++)
            {
                int i = b * width + t;
                bool real = t < n;
                ids[i] = real ? examples[b].InputIds[t] : padTokenId;
                labels[i] = real ? examples[b].Labels[t] : TokenLoss.IgnoreIndex;
                mask[i] = real ? 1 : 0;
            }
            tokens += n;
        }
        long[] shape = [examples.Count, width];
        return new TrainingBatch(tensor(ids, shape, device: device), tensor(labels, shape, device: device), tensor(mask, shape, device: device), tokens);
    }
}
