using static TorchSharp.torch;

namespace SafeAlign.Training;

/// <summary>
/// Maximum mean discrepancy between two samples with a sum of Gaussian RBF kernels, as RepNoise's reference
/// (<c>MMD_loss</c> in domenicrosati/representation-noising <c>loss.py</c>) computes it: the biased estimate
/// mean(K_XX + K_YY − K_XY − K_YX) over the pooled sample Z = [X; Y], kernels Σᵢ exp(−‖zₐ − z_b‖² / (β·2ⁱ)),
/// i = 0..kernels−1, with the base bandwidth β = (mean squared distance over distinct pairs) / 2^(kernels / 2),
/// i.e. / 4 for five kernels. The bandwidth is computed from the data but carries no gradient (the reference reads
/// <c>L2_distance.data</c>).
/// </summary>
public static class Mmd
{
    /// <summary>Kernels in the reference (<c>kernel_num = 5</c>, <c>kernel_mul = 2</c>).</summary>
    public const int DefaultKernels = 5;

    /// <summary>
    /// MMD² between <paramref name="x"/> (n, D) and <paramref name="y"/> (n, D), a scalar in fp32; differentiable in
    /// both. Zero for equal samples.
    /// </summary>
    /// <param name="x">First sample, one row per item.</param>
    /// <param name="y">Second sample, as many rows as <paramref name="x"/>.</param>
    /// <param name="kernels">Gaussian kernels summed (bandwidths base·2ⁱ).</param>
    /// <exception cref="ArgumentException">The shapes differ or are not (n ≥ 1, D).</exception>
    public static Tensor GaussianKernel(Tensor x, Tensor y, int kernels = DefaultKernels)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.dim() != 2 || y.dim() != 2 || !x.shape.SequenceEqual(y.shape) || x.shape[0] < 1)
            throw new ArgumentException($"x [{string.Join(", ", x.shape)}] and y [{string.Join(", ", y.shape)}] must both be (n, D) with n ≥ 1.");
        ArgumentOutOfRangeException.ThrowIfLessThan(kernels, 1);

        using var scope = NewDisposeScope();
        long n = x.shape[0], pooled = 2 * n;
        var z = cat([x, y], 0).to(float32);                                      // (2n, D)
        var norms = z.square().sum(1);                                           // (2n)
        var squared = (norms.unsqueeze(1) + norms.unsqueeze(0) - 2 * z.matmul(z.t())).clamp_min(0); // (2n, 2n)
        // The expansion leaves rounding noise on the diagonal; the distance of a point to itself is exactly 0.
        squared = squared * (1 - eye(pooled, dtype: float32, device: z.device));
        // Mean over the 2n(2n − 1) distinct pairs (the zero diagonal is not counted), as the reference.
        var bandwidth = squared.detach().sum() / (pooled * pooled - pooled) / Math.Pow(2, kernels / 2);
        // An all-equal pooled sample (e.g. everything masked) has zero spread; any bandwidth then gives MMD 0.
        bandwidth = bandwidth.clamp_min(1e-12);
        Tensor kernel = zeros_like(squared);
        for (int i = 0; i < kernels; i++)
            kernel = kernel + (-squared / (bandwidth * Math.Pow(2, i))).exp();  // (2n, 2n)
        var xx = kernel.narrow(0, 0, n).narrow(1, 0, n);
        var yy = kernel.narrow(0, n, n).narrow(1, n, n);
        var xy = kernel.narrow(0, 0, n).narrow(1, n, n);
        var yx = kernel.narrow(0, n, n).narrow(1, 0, n);
        return (xx + yy - xy - yx).mean().MoveToOuterDisposeScope();
    }
}
