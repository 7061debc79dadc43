using SafeAlign.Native;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Native;

// The experiment runner's per-alignment peak: the process's high-water mark, set back before each alignment.
public sealed class PeakMemoryTests
{
    private const long GiB = 1L << 30;

    [Fact]
    public void Reset_AfterALargeTensorIsFreed_DropsThePeakBelowIt()
    {
        if (!OperatingSystem.IsLinux())
            return; // the reset is Linux's /proc/self/clear_refs; elsewhere Reset reports false and nothing changes

        using (var large = ones(GiB / sizeof(float), dtype: ScalarType.Float32)) // touched pages: resident
        using (var last = large[^1])                                              // a view holds the storage too
            Assert.Equal(1f, last.item<float>());
        long withTensor = PeakMemory.PeakBytes();

        Assert.True(PeakMemory.Reset());
        long afterReset = PeakMemory.PeakBytes();

        Assert.True(withTensor >= GiB, $"peak {withTensor} B with a 1 GiB tensor alive");
        // Freed (glibc unmaps an allocation this large), so the reset peak is the current size, ~1 GiB lower.
        Assert.True(afterReset <= withTensor - 3 * GiB / 4, $"peak {afterReset} B after the reset, {withTensor} B before");
    }
}
