using static TorchSharp.torch;

namespace SafeAlign.Pruning;

/// <summary>
/// The scoring and selection kernels of Wanda-style pruning, as whole-tensor ops on a weight matrix W (rows = outputs,
/// columns = inputs): scores, the per-row count, and a per-row top-k mask with deterministic ties.
/// </summary>
public static class RowPruning
{
    /// <summary>
    /// Entries zeroed per row of <paramref name="columns"/> entries: <c>columns − ⌊columns·(1 − ratio)⌋</c>, the reference
    /// code's count (it keeps the ⌊columns·(1 − ratio)⌋ lowest scores), computed in double precision. Equal to
    /// ⌈columns·ratio⌉ except where the product lands a rounding error above an integer (10 · 0.3 gives 3 here, 4 there).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">columns is negative or ratio is outside [0, 1].</exception>
    public static long PrunedPerRow(long columns, double ratio)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (!(ratio >= 0 && ratio <= 1))
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "The pruning ratio must lie in [0, 1].");
        return columns - (long)Math.Floor(columns * (1 - ratio));
    }

    /// <summary>Wanda's score <c>|W_ij| · sqrt(S_j)</c> in fp32 (rows, columns).</summary>
    /// <param name="weight">W (rows, columns), any float dtype.</param>
    /// <param name="statistic">S (columns,): the mean over samples of Σ_t x_{t,j}² (see <see cref="ActivationStatistics"/>).</param>
    /// <exception cref="ArgumentException">The shapes do not fit.</exception>
    public static Tensor WandaScore(Tensor weight, Tensor statistic)
    {
        CheckMatrix(weight);
        ArgumentNullException.ThrowIfNull(statistic);
        if (statistic.dim() != 1 || statistic.shape[0] != weight.shape[1])
            throw new ArgumentException($"The statistic has shape [{string.Join(", ", statistic.shape)}]; expected ({weight.shape[1]}) for a weight of shape [{string.Join(", ", weight.shape)}].", nameof(statistic));
        using var scope = NewDisposeScope();
        var norm = statistic.to(float32).sqrt().unsqueeze(0);                    // (1, C)
        return weight.to(float32).abs().mul_(norm).MoveToOuterDisposeScope();    // (R, C); abs() is a fresh tensor
    }

    /// <summary>The magnitude score <c>|W_ij|</c> in fp32 (rows, columns).</summary>
    public static Tensor MagnitudeScore(Tensor weight)
    {
        CheckMatrix(weight);
        using var scope = NewDisposeScope();
        return weight.to(float32).abs().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A bool mask (rows, columns) with exactly <paramref name="k"/> true entries per row: the row's k highest scores.
    /// Scores tied at a row's threshold are taken in column order (lowest index first), so the mask does not depend on
    /// the sort algorithm or the thread count.
    /// </summary>
    /// <param name="scores">Scores (rows, columns); must be free of NaN.</param>
    /// <param name="k">Entries per row, 0 … columns.</param>
    /// <exception cref="ArgumentOutOfRangeException">k is negative or exceeds the column count.</exception>
    public static Tensor TopPerRow(Tensor scores, long k)
    {
        CheckMatrix(scores);
        long columns = scores.shape[1];
        if (k < 0 || k > columns)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"Expected 0 … {columns} entries per row.");
        if (k == 0)
            return zeros_like(scores, dtype: ScalarType.Bool);
        if (k == columns)
            return ones_like(scores, dtype: ScalarType.Bool);
        using var scope = NewDisposeScope();
        var threshold = scores.topk((int)k, dim: 1, largest: true, sorted: false).values.amin([1], keepdim: true); // (R, 1): k-th largest
        var above = scores.gt(threshold);                                                                        // (R, C)
        var tied = scores.eq(threshold);                                                                         // (R, C)
        var room = above.sum([1], keepdim: true, type: ScalarType.Int64).neg_().add_(k);                         // (R, 1): ties still to take
        var tiedRank = tied.cumsum(1, type: ScalarType.Int64);                                                   // (R, C): 1-based rank among ties
        return above.logical_or_(tied.logical_and_(tiedRank.le(room))).MoveToOuterDisposeScope();
    }

    /// <summary>Zeroes <paramref name="weight"/> where <paramref name="mask"/> is true, in place and outside autograd.</summary>
    /// <exception cref="ArgumentException">The shapes differ or the mask is not bool.</exception>
    public static void Apply(Tensor weight, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.dtype != ScalarType.Bool || !mask.shape.SequenceEqual(weight.shape))
            throw new ArgumentException($"The mask is {mask.dtype} [{string.Join(", ", mask.shape)}]; expected Bool [{string.Join(", ", weight.shape)}].", nameof(mask));
        using var noGrad = no_grad();
        weight.masked_fill_(mask, 0);
    }

    private static void CheckMatrix(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.dim() != 2)
            throw new ArgumentException($"Expected a matrix (rows, columns); got shape [{string.Join(", ", t.shape)}].");
    }
}
