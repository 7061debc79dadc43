using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using SafeAlign.Benchmarks;

// dotnet run -c Release --project benchmarks/SafeAlign.Benchmarks -- --filter '*'    BenchmarkDotNet suites (ShortRun, for docs)
// dotnet run -c Release --project benchmarks/SafeAlign.Benchmarks -- --job smoke --filter '*'
//                                                      CI smoke: each benchmark once, smallest params; exit 1 if one fails
// dotnet run -c Release --project benchmarks/SafeAlign.Benchmarks -- rss [steps]     RSS over a long training loop
// dotnet run -c Release --project benchmarks/SafeAlign.Benchmarks -- load-memory     peak extra memory loading a ~570 MB checkpoint
// dotnet run -c Release --project benchmarks/SafeAlign.Benchmarks -- defense-memory [batch]   peak extra memory of training steps per defense
return args.FirstOrDefault() switch
{
    "rss" => MemoryProbes.TrainingLoopRss(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000),
    "load-memory" => MemoryProbes.CheckpointLoadPeak(),
    "defense-memory" => MemoryProbes.DefenseStepPeaks(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 32),
    "write-checkpoint" or "load-checkpoint" or "defense-step-peak" => MemoryProbes.ChildMain(args),
    _ => Run(args),
};

static int Run(string[] args)
{
    // In process: libtorch loads once, and the process keeps the environment it was started with
    // (OMP_WAIT_POLICY must be set before the native library initialises). ShortRun: 3 warm-ups, 3 iterations.
    bool smoke = SmokeJob.Take(ref args);
    var config = smoke ? SmokeJob.Config() : DefaultConfig.Instance.AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).AsDefault());
    var summaries = BenchmarkSwitcher.FromAssembly(typeof(ModelBenchmarks).Assembly).Run(args, config).ToList();
    // A smoke run fails when a benchmark threw or BenchmarkDotNet refused the config; timings are not checked.
    bool failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
    return smoke && (failed || summaries.Count == 0) ? 1 : 0;
}
