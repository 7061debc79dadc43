using SafeAlign.Scoring;

namespace SafeAlign.Reporting;

/// <summary>Counts of token risk scores in equal-width bins shared by every group, for the histogram chart.</summary>
/// <param name="Low">Lower edge of the first bin.</param>
/// <param name="Width">Bin width.</param>
/// <param name="Groups">Per group (e.g. harmful and benign samples' tokens): its name and per-bin counts.</param>
/// <param name="Threshold">The lowest discarded score when the mask discards exactly the tokens above it (a global top-d mask); null otherwise.</param>
/// <param name="Discarded">Tokens the mask discards (0 without a mask).</param>
internal sealed record RiskHistogram(double Low, double Width, IReadOnlyList<(string Name, long[] Counts)> Groups, double? Threshold, long Discarded)
{
    /// <summary>Bins the finite risks of <paramref name="scores"/>, split by <paramref name="harmful"/> when given.</summary>
    /// <exception cref="ArgumentException">No finite score, or the labels do not match the samples.</exception>
    public static RiskHistogram Create(TokenRiskScores scores, IReadOnlyList<bool>? harmful, int bins)
    {
        if (harmful is not null && harmful.Count != scores.Risk.Count)
            throw new ArgumentException($"harmful has {harmful.Count} labels; the scores cover {scores.Risk.Count} samples.", nameof(harmful));
        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        foreach (float[] sample in scores.Risk)
        {
            foreach (float r in sample)
            {
                if (float.IsFinite(r))
                    (low, high) = (Math.Min(low, r), Math.Max(high, r));
            }
        }
        if (double.IsPositiveInfinity(low))
            throw new ArgumentException($"The '{scores.Scorer}' scores hold no finite risk (no response tokens were scored).", nameof(scores));
        if (high <= low)
            high = low + 1e-6;
        double width = (high - low) / bins;

        string[] names = harmful is null ? ["response tokens"] : ["tokens of harmful samples", "tokens of benign samples"];
        var counts = names.Select(_ => new long[bins]).ToArray();
        for (int i = 0; i < scores.Risk.Count; i++)
        {
            long[] group = counts[harmful is null || harmful[i] ? 0 : 1];
            foreach (float r in scores.Risk[i])
            {
                if (float.IsFinite(r))
                    group[Math.Clamp((int)((r - low) / width), 0, bins - 1)]++;
            }
        }
        var (threshold, discarded) = Cut(scores);
        return new RiskHistogram(low, width, names.Zip(counts).ToList(), threshold, discarded);
    }

    // The mask's cut: the lowest discarded score, when every scored token above it is discarded too.
    private static (double? Threshold, long Discarded) Cut(TokenRiskScores scores)
    {
        var mask = scores.Mask;
        if (mask is null || mask.DiscardedTokens == 0 || mask.Count != scores.Risk.Count)
            return (null, mask?.DiscardedTokens ?? 0);
        double cut = double.PositiveInfinity;
        for (int i = 0; i < mask.Count; i++)
        {
            foreach (int position in mask.Discarded(i))
            {
                if (position < scores.Risk[i].Length && float.IsFinite(scores.Risk[i][position]))
                    cut = Math.Min(cut, scores.Risk[i][position]);
            }
        }
        if (double.IsPositiveInfinity(cut))
            return (null, mask.DiscardedTokens);
        long above = scores.Risk.Sum(sample => (long)sample.Count(r => float.IsFinite(r) && r > cut));
        long discardedAbove = Enumerable.Range(0, mask.Count).Sum(i => (long)mask.Discarded(i).Count(p => p < scores.Risk[i].Length && scores.Risk[i][p] > cut));
        return (above == discardedAbove ? cut : null, mask.DiscardedTokens);
    }
}
