using SafeAlign.Tests.Packaging;

namespace SafeAlign.Tests.Benchmarks;

/// <summary>
/// The benchmarks' CI smoke job (<c>--job smoke</c>, benchmarks/README.md) on the cheapest suite, in a child process:
/// it must exit 0, write BenchmarkDotNet's result files and run only the first (smallest) value of each [Params].
/// No timing is asserted. The test project references the benchmarks project (without its assembly) so it is built.
/// </summary>
public sealed class BenchmarkSmokeTests : IDisposable
{
    private readonly TempDirectory _artifacts = new();

    public void Dispose() => _artifacts.Dispose();

    private static string BenchmarksDll()
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SafeAlign.sln")))
            dir = dir.Parent;
        Assert.NotNull(dir);
        string dll = Path.Combine(dir.FullName, "benchmarks", "SafeAlign.Benchmarks", "bin", configuration, "net10.0", "SafeAlign.Benchmarks.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build benchmarks/SafeAlign.Benchmarks ({configuration})");
        return dll;
    }

    [Fact]
    public void SmokeJob_CheapSuite_ExitsZeroWritesResultsSmallestParamsOnly()
    {
        var (exitCode, output) = DotnetCli.Run(_artifacts.Path,
            [BenchmarksDll(), "--job", "smoke", "--filter", "*PruningStatisticBenchmarks*", "--artifacts", _artifacts.Path], timeout: TimeSpan.FromMinutes(3));

        Assert.True(exitCode == 0, output);
        string csv = Path.Combine(_artifacts.Path, "results", "SafeAlign.Benchmarks.PruningStatisticBenchmarks-report.csv");
        Assert.True(File.Exists(csv), output);
        var lines = File.ReadAllLines(csv);
        Assert.Equal(3, lines.Length);   // header, Copy, Accumulate: Features = 256 only, not 4096
        Assert.Contains("Job=smoke", output, StringComparison.Ordinal);
        Assert.All(lines.Skip(1), l => Assert.Contains(",256,", l, StringComparison.Ordinal));
    }

    [Fact]
    public void SmokeJob_FilterMatchesNothing_ExitsOne()
    {
        var (exitCode, output) = DotnetCli.Run(_artifacts.Path,
            [BenchmarksDll(), "--job", "smoke", "--filter", "*NoSuchSuite*", "--artifacts", _artifacts.Path], timeout: TimeSpan.FromMinutes(2));

        Assert.True(exitCode == 1, output);
    }
}
