using static TorchSharp.torch;

namespace SafeAlign.Pruning;

/// <summary>
/// The scoring and selection kernels of Wanda-style pruning, as whole-tensor ops on a weight matrix W (rows = outputs,
/// columns = inputs): scores, the per-row count, the per-row top-k with deterministic ties, and the in-place zeroing.
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
    /// The column indices (rows, k), int64, ascending within each row, of every row's <paramref name="k"/> highest
    /// scores. Scores tied at a row's threshold are taken in column order (lowest index first), so the selection does
    /// not depend on the top-k algorithm or the thread count. Cost: one top-k, one comparison pass and one host read;
    /// the tie-breaking pass (a cumulative count over the matrix) runs only when a row has a tie across its threshold.
    /// </summary>
    /// <param name="scores">Scores (rows, columns).</param>
    /// <param name="k">Entries per row, 0 … columns.</param>
    /// <exception cref="ArgumentOutOfRangeException">k is negative or exceeds the column count.</exception>
    /// <exception cref="InvalidOperationException">The scores hold NaN (a row's selection would come up short).</exception>
    public static Tensor TopPerRow(Tensor scores, long k)
    {
        CheckMatrix(scores);
        long rows = scores.shape[0], columns = scores.shape[1];
        if (k < 0 || k > columns)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"Expected 0 … {columns} entries per row.");
        if (k == columns)
            return arange(columns, dtype: ScalarType.Int64, device: scores.device).unsqueeze(0).expand(rows, columns).contiguous();
        if (k == 0)
            return empty(rows, 0, dtype: ScalarType.Int64, device: scores.device);
        using var scope = NewDisposeScope();
        var (values, indices) = scores.topk((int)k, dim: 1, largest: true, sorted: false);        // (R, k) each
        var threshold = values.amin([1], keepdim: true);                                          // (R, 1): the k-th largest
        var atLeast = scores.ge(threshold).sum([1], type: ScalarType.Int64);                      // (R)
        var bounds = stack([atLeast.min(), atLeast.max()]).cpu().data<long>().ToArray();
        if (bounds[0] < k)
            throw new InvalidOperationException($"A row has fewer than {k} scores at or above its k-th largest: the scores hold NaN.");
        if (bounds[1] == k)
            return indices.sort(1).Values.MoveToOuterDisposeScope();                              // no tie across a threshold: the set is unique
        var above = scores.gt(threshold);                                                        // (R, C)
        var tied = scores.eq(threshold);                                                         // (R, C)
        var room = above.sum([1], keepdim: true, type: ScalarType.Int64).neg_().add_(k);         // (R, 1): ties still to take
        var mask = above.logical_or_(tied.logical_and_(tied.cumsum(1, type: ScalarType.Int64).le(room))); // (R, C), k per row
        return mask.nonzero().select(1, 1).view(rows, k).MoveToOuterDisposeScope();               // row-major: ascending columns
    }

    /// <summary>Zeroes the entries <paramref name="indices"/> (rows, k) names in every row of <paramref name="weight"/>, in place and outside autograd.</summary>
    /// <exception cref="ArgumentException">The indices are not int64 (rows, k) for this weight.</exception>
    public static void Apply(Tensor weight, Tensor indices) => Apply([(weight, indices)]);

    /// <summary>
    /// <see cref="Apply(Tensor, Tensor)"/> for many matrices at once: one dispose scope, one no-grad region and one zero
    /// per dtype and device for the whole set, so small matrices (a rank-8 adapter's 192 factors) pay one scatter each
    /// rather than the per-call setup.
    /// </summary>
    /// <exception cref="ArgumentException">Some indices are not int64 (rows, k) for their weight; nothing is changed then.</exception>
    public static void Apply(IReadOnlyList<(Tensor Weight, Tensor Indices)> matrices)
    {
        ArgumentNullException.ThrowIfNull(matrices);
        var shapes = new long[matrices.Count][];
        for (int m = 0; m < matrices.Count; m++)
            shapes[m] = CheckIndices(matrices[m].Weight, matrices[m].Indices);   // all checked before any is changed
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor? zero = null;
        for (int m = 0; m < matrices.Count; m++)
        {
            var (weight, indices) = matrices[m];
            if (shapes[m][1] == 0)
                continue;
            if (zero is null || zero.dtype != weight.dtype || zero.device_type != weight.device_type || zero.device_index != weight.device_index)
                zero = zeros(1, dtype: weight.dtype, device: weight.device);
            weight.scatter_(1, indices, zero.expand(shapes[m]));   // writes only the k entries per row
        }
    }

    /// <summary>The bool mask (rows, <paramref name="columns"/>), true where <paramref name="indices"/> (rows, k) points.</summary>
    public static Tensor ToMask(Tensor indices, long columns)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.dim() != 2 || indices.dtype != ScalarType.Int64)
            throw new ArgumentException($"The indices are {indices.dtype} [{string.Join(", ", indices.shape)}]; expected Int64 (rows, k).", nameof(indices));
        using var scope = NewDisposeScope();
        var mask = zeros(indices.shape[0], columns, dtype: ScalarType.Bool, device: indices.device);
        return mask.scatter_(1, indices, ones(1, dtype: ScalarType.Bool, device: indices.device).expand(indices.shape)).MoveToOuterDisposeScope();
    }

    // Returns the indices' shape; each shape is read once (a native call each).
    private static long[] CheckIndices(Tensor weight, Tensor indices)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(indices);
        long[] w = weight.shape, i = indices.shape;
        if (w.Length != 2)
            throw new ArgumentException($"Expected a matrix (rows, columns); got shape [{string.Join(", ", w)}].");
        if (indices.dtype != ScalarType.Int64 || i.Length != 2 || i[0] != w[0] || i[1] > w[1])
            throw new ArgumentException($"The indices are {indices.dtype} [{string.Join(", ", i)}]; expected Int64 ({w[0]}, k ≤ {w[1]}) for a weight of shape [{string.Join(", ", w)}].", nameof(indices));
        return i;
    }

    private static void CheckMatrix(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.dim() != 2)
            throw new ArgumentException($"Expected a matrix (rows, columns); got shape [{string.Join(", ", t.shape)}].");
    }
}
