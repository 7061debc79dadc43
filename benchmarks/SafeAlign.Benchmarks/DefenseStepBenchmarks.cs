using BenchmarkDotNet.Attributes;
using SafeAlign.Defenses.Booster;
using SafeAlign.Defenses.RepNoise;
using SafeAlign.Defenses.TVaccine;
using SafeAlign.Defenses.Vaccine;
using SafeAlign.Models;
using SafeAlign.Native;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;
using TorchSharp.Modules;

namespace SafeAlign.Benchmarks;

/// <summary>
/// One alignment training step (the method's step + AdamW) per defense on the small config with LoRA r 8 on all
/// projections, batch 8 × 128 tokens; the ratio column is the cost relative to plain SFT (the papers imply ≈ 2× for
/// Vaccine and T-Vaccine, ≈ 3× for Booster). Labels cover the second half of each sequence (the response).
/// </summary>
[MemoryDiagnoser]
public class DefenseStepBenchmarks
{
    private CausalLM _model = null!;
    private AdamW _optimizer = null!;
    private TrainingBatch _batch = null!, _paired = null!;
    private VaccineStep _vaccine = null!;
    private TVaccineStep _tVaccine = null!;
    private RepNoiseStep _repNoise = null!;
    private BoosterStep _booster = null!;

    [GlobalSetup]
    public void Setup()
    {
        SafeAlignDevice.Resolve("cpu");
        var config = BenchmarkModels.Small;
        _model = BenchmarkModels.Create(config, lora: true);
        _model.train();
        _optimizer = torch.optim.AdamW(_model.TrainableParameters().Select(p => p.Parameter), 1e-4);
        var examples = Responses(BenchmarkModels.Examples(BenchmarkModels.Batch, BenchmarkModels.SequenceLength, config.VocabSize, seed: 0));
        var harmful = Responses(BenchmarkModels.Examples(BenchmarkModels.Batch, BenchmarkModels.SequenceLength, config.VocabSize, seed: 1));
        _batch = Keep(TrainingBatch.Collate(examples, 0, torch.CPU));
        // RepNoise's pairs share the prompt and differ in the response.
        var pairs = examples.Zip(harmful, (e, h) => (TokenizedExample)new PairedExample(e,
            new TokenizedExample([.. e.InputIds[..(e.Length / 2)], .. h.InputIds[(e.Length / 2)..]], [.. e.Labels[..(e.Length / 2)], .. h.Labels[(e.Length / 2)..]]))).ToList();
        _paired = Keep(TrainingBatch.Collate(pairs, 0, torch.CPU));
        _vaccine = new VaccineStep(new VaccineOptions().Rho);
        _tVaccine = new TVaccineStep(_model, new TVaccineOptions(), harmful);
        _repNoise = new RepNoiseStep(new RepNoiseOptions().Alpha, new RepNoiseOptions().Beta);
        var booster = new BoosterOptions();
        _booster = new BoosterStep(booster.Lambda, booster.Alpha, new CyclingBatches(harmful, BenchmarkModels.Batch, 0, null, seed: 0));
    }

    [GlobalCleanup]
    public void Cleanup() => _tVaccine.Dispose();

    [Benchmark(Baseline = true)]
    public float Sft() => Step(SupervisedStep.Instance, _batch);

    [Benchmark]
    public float Vaccine() => Step(_vaccine, _batch);

    [Benchmark]
    public float TVaccine() => Step(_tVaccine, _batch);

    [Benchmark]
    public float RepNoise() => Step(_repNoise, _paired);

    [Benchmark]
    public float Booster() => Step(_booster, _batch);

    private int _step;

    private float Step(ITrainingStep step, TrainingBatch batch)
    {
        using var scope = torch.NewDisposeScope();
        var loss = step.Step(_model, batch, new StepContext(_step++, 0, 1));
        foreach (var frozen in step.FrozenParameters())
            frozen.grad = null; // as the trainer does
        _optimizer.step();
        _optimizer.zero_grad();
        return loss.item<float>();
    }

    private static List<TokenizedExample> Responses(List<TokenizedExample> examples) =>
        examples.Select(e => new TokenizedExample(e.InputIds, e.Labels.Select((l, i) => i < e.Length / 2 ? TokenizedExample.IgnoreIndex : l).ToArray())).ToList();

    private static TrainingBatch Keep(TrainingBatch batch)
    {
        batch.InputIds.DetachFromDisposeScope();
        batch.Labels.DetachFromDisposeScope();
        batch.AttentionMask.DetachFromDisposeScope();
        if (batch.Companion is not null)
            Keep(batch.Companion);
        return batch;
    }
}
