using SafeAlign.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Training;

public sealed class MmdTests
{
    // The reference MMD_loss written out pair by pair: pooled squared distances, bandwidth from the mean over distinct
    // pairs / 2^(k/2), sum of k Gaussian kernels, mean of XX + YY − XY − YX.
    internal static double Naive(double[][] x, double[][] y, int kernels = 5)
    {
        var z = x.Concat(y).ToArray();
        int n = x.Length, m = z.Length;
        var d = new double[m, m];
        double total = 0;
        for (int a = 0; a < m; a++)
            for (int b = 0; b < m; b++)
            {
                double s = 0;
                for (int k = 0; k < z[a].Length; k++)
                    s += (z[a][k] - z[b][k]) * (z[a][k] - z[b][k]);
                d[a, b] = s;
                total += s;
            }
        double bandwidth = total / (m * m - m) / Math.Pow(2, kernels / 2);
        double K(int a, int b)
        {
            double v = 0;
            for (int i = 0; i < kernels; i++)
                v += Math.Exp(-d[a, b] / (bandwidth * Math.Pow(2, i)));
            return v;
        }
        double sum = 0;
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
                sum += K(a, b) + K(n + a, n + b) - K(a, n + b) - K(n + a, b);
        return sum / (n * n);
    }

    private static double[][] Rows(Tensor t) =>
        Enumerable.Range(0, (int)t.shape[0]).Select(i => t[i].to(float64).data<double>().ToArray()).ToArray();

    [Theory]
    [InlineData(1, 3, 5)]
    [InlineData(2, 4, 17)]
    [InlineData(3, 6, 40)]
    public void GaussianKernel_RandomSamples_MatchesNaivePairLoop(int seed, int n, int dim)
    {
        var generator = new Generator((ulong)seed);
        using var x = randn([n, dim], generator: generator);
        using var y = (randn([n, dim], generator: generator) * 1.5 + 0.3);

        using var mmd = Mmd.GaussianKernel(x, y);

        double expected = Naive(Rows(x), Rows(y));
        Assert.Equal(expected, mmd.item<float>(), 1e-4 * Math.Max(1, Math.Abs(expected)));
        Assert.True(expected > 0);
    }

    [Fact]
    public void GaussianKernel_SameSample_IsZero_AndGrowsWithAMeanShift()
    {
        var generator = new Generator(9);
        using var x = randn([4, 12], generator: generator);
        using var y = randn([4, 12], generator: generator);

        Assert.Equal(0, Mmd.GaussianKernel(x, x).item<float>(), 1e-5);
        float near = Mmd.GaussianKernel(x, y).item<float>();
        float far = Mmd.GaussianKernel(x, y + 3).item<float>();
        Assert.True(far > near, $"MMD {near} → {far} after a shift");
    }

    [Fact]
    public void GaussianKernel_AllZero_IsFiniteZero()
    {
        using var x = zeros(3, 8);
        var value = Mmd.GaussianKernel(x, x.clone()).item<float>();
        Assert.Equal(0f, value);
    }

    [Fact]
    public void GaussianKernel_BadShapes_Throw()
    {
        using var a = zeros(3, 4);
        using var b = zeros(2, 4);
        using var c = zeros(3);
        Assert.Throws<ArgumentException>(() => Mmd.GaussianKernel(a, b));
        Assert.Throws<ArgumentException>(() => Mmd.GaussianKernel(c, c));
        Assert.Throws<ArgumentOutOfRangeException>(() => Mmd.GaussianKernel(a, a, kernels: 0));
    }
}
