using static TorchSharp.torch;

namespace SafeAlign.Scoring;

/// <summary>
/// Turns per-token risk scores into discarded positions. Scores come per sample as one float per position, NaN where a
/// position is not a candidate (not a response token). Every ranking is a stable sort on the flattened candidates, so
/// ties go to the earlier sample, then the earlier position, and the same scores always give the same result.
/// </summary>
public static class TokenRanking
{
    /// <summary>
    /// ⌊<paramref name="fraction"/> · N⌋ (N = candidates over the whole data set) exactly, computed in decimal so that
    /// e.g. 0.3 · 10 gives 3, not 2.
    /// </summary>
    public static long Budget(double fraction, long candidates)
    {
        CheckFraction(fraction);
        ArgumentOutOfRangeException.ThrowIfNegative(candidates);
        return (long)Math.Floor((decimal)fraction * candidates);
    }

    /// <summary>
    /// TOSS's global selection: all candidates of all samples ranked together by score, the top ⌊fraction · N⌋ discarded.
    /// </summary>
    /// <param name="scores">Per sample, a score per position (NaN = not a candidate).</param>
    /// <param name="fraction">Share d of candidates to discard, in [0, 1].</param>
    /// <returns>Per sample, the discarded positions, ascending.</returns>
    /// <exception cref="ArgumentException">A candidate's score is infinite, or the fraction is outside [0, 1].</exception>
    public static int[][] GlobalTop(IReadOnlyList<float[]> scores, double fraction)
    {
        CheckFraction(fraction);
        using var scope = NewDisposeScope();
        var c = Candidates.Of(scores);
        long k = Budget(fraction, c.Count);
        var order = c.Values.sort(descending: true, stable: true).Indices;      // (N) candidates by score, ties in data order
        return c.Positions(order.narrow(0, 0, k));
    }

    /// <summary>
    /// The per-sample variant (the paper's "local" ranking): in each sample with L response tokens, its top ⌊fraction · L⌋
    /// tokens are discarded.
    /// </summary>
    /// <inheritdoc cref="GlobalTop" />
    public static int[][] PerSampleTop(IReadOnlyList<float[]> scores, double fraction)
    {
        CheckFraction(fraction);
        using var scope = NewDisposeScope();
        var c = Candidates.Of(scores);
        if (c.Count == 0)
            return c.Positions(zeros(0, dtype: int64));
        var byScore = c.Values.sort(descending: true, stable: true).Indices;                  // (N)
        var bySample = byScore.index_select(0, c.Sample.index_select(0, byScore).sort(stable: true).Indices); // (N) sample asc, score desc
        var rank = arange(c.Count, dtype: int64) - c.FirstCandidate.index_select(0, c.Sample.index_select(0, bySample)); // (N) rank within its sample
        var perSampleBudget = tensor(c.CountPerSample.data<long>().ToArray().Select(n => Budget(fraction, n)).ToArray()); // (S) ⌊d·L⌋
        var keep = rank.lt(perSampleBudget.index_select(0, c.Sample.index_select(0, bySample)));
        return c.Positions(bySample.masked_select(keep));
    }

    /// <summary>
    /// Sample-level selection: whole samples ranked by <paramref name="sampleScores"/> (NaN = never dropped), the top
    /// ⌊fraction · n⌋ of the n samples with a candidate dropped entirely (every candidate discarded).
    /// </summary>
    /// <param name="scores">Per sample, a score per position (NaN = not a candidate); only which positions are candidates is used.</param>
    /// <param name="sampleScores">One score per sample.</param>
    /// <param name="fraction">Share of samples to drop.</param>
    /// <exception cref="ArgumentException">The counts differ, a score is infinite, or the fraction is outside [0, 1].</exception>
    public static int[][] WholeSamples(IReadOnlyList<float[]> scores, IReadOnlyList<double> sampleScores, double fraction)
    {
        CheckFraction(fraction);
        ArgumentNullException.ThrowIfNull(sampleScores);
        using var scope = NewDisposeScope();
        var c = Candidates.Of(scores);
        if (sampleScores.Count != scores.Count)
            throw new ArgumentException($"sampleScores has {sampleScores.Count} entries; scores has {scores.Count} samples.", nameof(sampleScores));
        var perSample = tensor(sampleScores.ToArray());                                        // (S)
        if (perSample.isinf().any().item<bool>())
            throw new ArgumentException("A sample score is infinite.", nameof(sampleScores));
        var eligible = perSample.isnan().logical_not().logical_and(c.CountPerSample.gt(0));  // (S)
        long k = Budget(fraction, eligible.sum().item<long>());
        var ranked = perSample.masked_fill(eligible.logical_not(), double.NegativeInfinity).sort(descending: true, stable: true).Indices; // (S)
        var dropped = zeros(scores.Count, dtype: @bool).index_fill_(0, ranked.narrow(0, 0, k), true); // (S)
        return c.Positions(dropped.index_select(0, c.Sample).nonzero().squeeze(1));
    }

    /// <summary>
    /// TOSS-Pro's walk: candidates in global rank order (as <see cref="GlobalTop"/>) mapped to their samples; each sample
    /// counts once, at its best-ranked candidate. Returns the first <paramref name="count"/> distinct samples in that order
    /// (fewer when fewer samples have a candidate).
    /// </summary>
    /// <param name="scores">Per sample, a score per position (NaN = not a candidate).</param>
    /// <param name="count">Samples wanted, at least 0.</param>
    public static int[] SamplesInRankOrder(IReadOnlyList<float[]> scores, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        using var scope = NewDisposeScope();
        var c = Candidates.Of(scores);
        if (c.Count == 0)
            return [];
        var order = c.Values.sort(descending: true, stable: true).Indices;            // (N) candidates by rank
        var samplesByRank = c.Sample.index_select(0, order);                           // (N) their samples
        var (grouped, permutation) = samplesByRank.sort(stable: true);                 // stable: each group starts at its best rank
        var first = grouped.ne(grouped.roll(1, 0)).index_fill_(0, tensor(new long[] { 0 }), true); // (N) first of each sample's group
        var bestRank = permutation.masked_select(first);                               // (S') best rank per sample
        var samples = grouped.masked_select(first).index_select(0, bestRank.sort().Indices); // (S') samples by best rank
        return samples.narrow(0, 0, Math.Min(count, samples.shape[0])).to(int32).data<int>().ToArray();
    }

    private static void CheckFraction(double fraction)
    {
        if (!(fraction >= 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The discard fraction must be in [0, 1].");
    }

    // The candidates of a data set flattened in (sample, position) order, with their sample and position.
    private sealed class Candidates
    {
        public required Tensor Values { get; init; }          // (N) fp32 scores
        public required Tensor Sample { get; init; }          // (N) int64 sample of each candidate
        public required Tensor Position { get; init; }        // (N) int64 position of each candidate
        public required Tensor CountPerSample { get; init; }  // (S) int64 candidates per sample
        public required Tensor FirstCandidate { get; init; }  // (S) int64 flat index of each sample's first candidate
        public required int Samples { get; init; }

        public long Count => Values.shape[0];

        public static Candidates Of(IReadOnlyList<float[]> scores)
        {
            ArgumentNullException.ThrowIfNull(scores);
            var lengths = new long[scores.Count];
            for (int i = 0; i < scores.Count; i++)
                lengths[i] = (scores[i] ?? throw new ArgumentException($"scores[{i}] is null.", nameof(scores))).Length;
            var flat = new float[lengths.Sum()];
            long offset = 0;
            for (int i = 0; i < scores.Count; i++)
            {
                scores[i].CopyTo(flat, offset);
                offset += lengths[i];
            }
            var all = tensor(flat);                                                      // (ΣL)
            if (all.isinf().any().item<bool>())
                throw new ArgumentException("A candidate's score is infinite; the reference models produced a non-finite loss.", nameof(scores));
            var isCandidate = all.isnan().logical_not();                                 // (ΣL)
            var index = isCandidate.nonzero().squeeze(1);                                // (N) flat position of each candidate
            var lengthTensor = tensor(lengths);                                          // (S)
            var starts = lengthTensor.cumsum(0) - lengthTensor;                          // (S) flat offset of each sample
            var sample = arange(scores.Count, dtype: int64).repeat_interleave(lengthTensor).index_select(0, index); // (N)
            var perSample = zeros(scores.Count, dtype: int64).index_add_(0, sample, ones_like(sample), 1); // (S)
            return new Candidates
            {
                Values = all.index_select(0, index),
                Sample = sample,
                Position = index - starts.index_select(0, sample),
                CountPerSample = perSample,
                FirstCandidate = perSample.cumsum(0) - perSample,
                Samples = scores.Count,
            };
        }

        // Per sample, the positions of the chosen candidates, ascending.
        public int[][] Positions(Tensor chosen)
        {
            var picked = chosen.sort().Values;                                            // (K) flat candidate indices in (sample, position) order
            long[] samples = Sample.index_select(0, picked).data<long>().ToArray();
            long[] positions = Position.index_select(0, picked).data<long>().ToArray();
            var counts = new int[Samples];
            foreach (long s in samples)
                counts[s]++;
            var result = new int[Samples][];
            int cursor = 0;
            for (int i = 0; i < Samples; i++)
            {
                result[i] = new int[counts[i]];
                for (int j = 0; j < counts[i]; j++)
                    result[i][j] = (int)positions[cursor++];
            }
            return result;
        }
    }
}
