using BenchmarkDotNet.Code;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace SafeAlign.Benchmarks;

/// <summary>
/// The CI smoke configuration (<c>--job smoke</c>): every selected benchmark runs once (BenchmarkDotNet's Dry job: no
/// pilot, no warm-up, one iteration of one invocation) in process, and only its first value of every <c>[Params]</c>
/// (by this project's convention the smallest). It proves the suites set up, run and tear down; its timings mean nothing.
/// </summary>
internal static class SmokeJob
{
    /// <summary>The argument pair that selects this job.</summary>
    public const string Name = "smoke";

    /// <summary>Removes <c>--job smoke</c> from <paramref name="args"/> (BenchmarkDotNet does not know that job) and says whether it was there.</summary>
    public static bool Take(ref string[] args)
    {
        for (int i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == "--job" && string.Equals(args[i + 1], Name, StringComparison.OrdinalIgnoreCase))
            {
                args = [.. args[..i], .. args[(i + 2)..]];
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The smoke config: Dry in process, smallest parameters only; a Debug build is accepted (the timings are not used,
    /// so BenchmarkDotNet's check that the code under test is optimised is off).
    /// </summary>
    public static IConfig Config() =>
        DefaultConfig.Instance
            .AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance).WithId(Name).AsDefault())
            .AddFilter(new SimpleFilter(IsFirstParameterSet))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);

    /// <summary>True when every parameter of the case has the first value its <c>[Params]</c> lists.</summary>
    public static bool IsFirstParameterSet(BenchmarkCase benchmark) =>
        benchmark.Parameters.Items.All(p => p.Definition.Values.Length == 0 || Equals(Unwrap(p.Value), Unwrap(p.Definition.Values[0])));

    // BenchmarkDotNet keeps non-primitive parameter values (enums, for one) wrapped in an IParam.
    private static object? Unwrap(object? value) => value is IParam param ? param.Value : value;
}
