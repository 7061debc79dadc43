using BenchmarkDotNet.Attributes;
using SafeAlign.Native;
using SafeAlign.Training;

namespace SafeAlign.Benchmarks;

/// <summary>
/// One alignment training step (the method's step + AdamW) per defense on the small config with LoRA r 8 on all
/// projections, batch 8 × 128 tokens; the ratio column is the cost relative to plain SFT (the papers imply ≈ 2× for
/// Vaccine and T-Vaccine, ≈ 3× for Booster). T-Vaccine runs twice: as its default on the CPU (every activation kept)
/// and with its non-sampled layers recomputed in the backward (its default on an accelerator).
/// </summary>
[MemoryDiagnoser]
public class DefenseStepBenchmarks
{
    // One model per defense: a T-Vaccine step owns its model's trainable flags, so two cannot share one.
    private Dictionary<string, (DefenseStepFixture Fixture, ITrainingStep Step)> _defenses = null!;

    [GlobalSetup]
    public void Setup()
    {
        SafeAlignDevice.Resolve("cpu");
        _defenses = DefenseStepFixture.Defenses.ToDictionary(d => d, d =>
        {
            var fixture = new DefenseStepFixture(BenchmarkModels.Small);
            return (fixture, fixture.Create(d));
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var (fixture, step) in _defenses.Values)
        {
            (step as IDisposable)?.Dispose();
            fixture.Dispose();
        }
    }

    [Benchmark(Baseline = true)]
    public float Sft() => Step("sft");

    [Benchmark]
    public float Vaccine() => Step("vaccine");

    [Benchmark]
    public float TVaccine() => Step("t-vaccine");

    [Benchmark]
    public float TVaccineRecomputed() => Step("t-vaccine-recomputed");

    [Benchmark]
    public float RepNoise() => Step("repnoise");

    [Benchmark]
    public float Booster() => Step("booster");

    private float Step(string defense) => _defenses[defense].Fixture.Step(_defenses[defense].Step);
}
