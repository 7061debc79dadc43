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
        var mask = scores.Mask;
        var discarded = mask is null || mask.Count != scores.Risk.Count ? null : Enumerable.Range(0, mask.Count).Select(mask.Discarded).ToList();
        return Create(scores.Scorer, scores.Risk, harmful, discarded, bins);
    }

    /// <summary>Bins the finite <paramref name="risk"/> values, split by <paramref name="harmful"/> when given; the cut from <paramref name="discarded"/>.</summary>
    /// <exception cref="ArgumentException">No finite score, the labels or discarded lists do not match the samples, or a position is out of range.</exception>
    public static RiskHistogram Create(string scorer, IReadOnlyList<float[]> risk, IReadOnlyList<bool>? harmful, IReadOnlyList<IReadOnlyList<int>>? discarded, int bins)
    {
        if (harmful is not null && harmful.Count != risk.Count)
            throw new ArgumentException($"harmful has {harmful.Count} labels; the scores cover {risk.Count} samples.", nameof(harmful));
        if (discarded is not null && discarded.Count != risk.Count)
            throw new ArgumentException($"discarded has {discarded.Count} entries; the scores cover {risk.Count} samples.", nameof(discarded));
        for (int i = 0; discarded is not null && i < risk.Count; i++)
        {
            if (risk[i] is null || discarded[i] is null || discarded[i].Any(p => p < 0 || p >= risk[i].Length))
                throw new ArgumentException($"Sample {i}: a discarded position is outside its {risk[i]?.Length ?? 0} scores (or the entry is null).", nameof(discarded));
        }
        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        foreach (float[] sample in risk)
        {
            foreach (float r in sample ?? throw new ArgumentException("A sample's risk array is null.", nameof(risk)))
            {
                if (float.IsFinite(r))
                    (low, high) = (Math.Min(low, r), Math.Max(high, r));
            }
        }
        if (double.IsPositiveInfinity(low))
            throw new ArgumentException($"The '{scorer}' scores hold no finite risk (no response tokens were scored).", nameof(risk));
        if (high <= low)
            high = low + 1e-6;
        double width = (high - low) / bins;

        string[] names = harmful is null ? ["response tokens"] : ["tokens of harmful samples", "tokens of benign samples"];
        var counts = names.Select(_ => new long[bins]).ToArray();
        for (int i = 0; i < risk.Count; i++)
        {
            long[] group = counts[harmful is null || harmful[i] ? 0 : 1];
            foreach (float r in risk[i])
            {
                if (float.IsFinite(r))
                    group[Math.Clamp((int)((r - low) / width), 0, bins - 1)]++;
            }
        }
        var (threshold, total) = discarded is null ? (null, 0) : Cut(risk, discarded);
        return new RiskHistogram(low, width, names.Zip(counts).ToList(), threshold, total);
    }

    // The mask's cut: the lowest discarded score, when every scored token above it is discarded too.
    private static (double? Threshold, long Discarded) Cut(IReadOnlyList<float[]> risk, IReadOnlyList<IReadOnlyList<int>> discarded)
    {
        long total = discarded.Sum(d => (long)d.Count);
        var scores = Enumerable.Range(0, risk.Count).SelectMany(i => discarded[i].Select(p => risk[i][p])).Where(float.IsFinite).ToList();
        if (scores.Count == 0)
            return (null, total);
        double cut = scores.Min();
        long above = risk.Sum(sample => (long)sample.Count(r => float.IsFinite(r) && r > cut));
        long discardedAbove = scores.Count(r => r > cut);
        return (above == discardedAbove ? cut : null, total);
    }
}
