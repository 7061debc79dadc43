using SafeAlign.Defenses.Booster;
using SafeAlign.Defenses.RepNoise;
using SafeAlign.Defenses.TVaccine;
using SafeAlign.Defenses.Vaccine;
using SafeAlign.Models;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;
using TorchSharp.Modules;

namespace SafeAlign.Benchmarks;

/// <summary>
/// A model with LoRA r 8 on all projections, its AdamW, an alignment batch and RepNoise's paired batch, and one defense
/// step on them as the trainer takes it (step, drop frozen gradients, AdamW). Shared by the step-time benchmarks and the
/// memory probe. Labels cover the second half of each sequence (the response).
/// </summary>
internal sealed class DefenseStepFixture : IDisposable
{
    private readonly AdamW _optimizer;
    private readonly TrainingBatch _batch, _paired;
    private readonly List<TokenizedExample> _harmful;
    private int _step;

    /// <summary>The defense steps the fixture can build, by name.</summary>
    public static readonly string[] Defenses = ["sft", "vaccine", "t-vaccine", "t-vaccine-recomputed", "repnoise", "booster"];

    public DefenseStepFixture(ModelConfig config, int batch = BenchmarkModels.Batch, int length = BenchmarkModels.SequenceLength)
    {
        Model = BenchmarkModels.Create(config, lora: true);
        Model.train();
        _optimizer = torch.optim.AdamW(Model.TrainableParameters().Select(p => p.Parameter), 1e-4);
        var examples = Responses(BenchmarkModels.Examples(batch, length, config.VocabSize, seed: 0));
        _harmful = Responses(BenchmarkModels.Examples(batch, length, config.VocabSize, seed: 1));
        _batch = Keep(TrainingBatch.Collate(examples, 0, torch.CPU));
        // RepNoise's pairs share the prompt and differ in the response.
        var pairs = examples.Zip(_harmful, (e, h) => (TokenizedExample)new PairedExample(e,
            new TokenizedExample([.. e.InputIds[..(e.Length / 2)], .. h.InputIds[(e.Length / 2)..]], [.. e.Labels[..(e.Length / 2)], .. h.Labels[(e.Length / 2)..]]))).ToList();
        _paired = Keep(TrainingBatch.Collate(pairs, 0, torch.CPU));
    }

    public CausalLM Model { get; }

    /// <summary>The step named <paramref name="defense"/> (one of <see cref="Defenses"/>), with the library's defaults.</summary>
    public ITrainingStep Create(string defense) => defense switch
    {
        "sft" => SupervisedStep.Instance,
        "vaccine" => new VaccineStep(new VaccineOptions().Rho),
        "t-vaccine" => new TVaccineStep(Model, new TVaccineOptions(), _harmful), // on the CPU: every activation kept
        "t-vaccine-recomputed" => new TVaccineStep(Model, new TVaccineOptions { RecomputeInactiveLayers = true }, _harmful),
        "repnoise" => new RepNoiseStep(new RepNoiseOptions().Alpha, new RepNoiseOptions().Beta),
        "booster" => new BoosterStep(new BoosterOptions().Lambda, new BoosterOptions().Alpha, new CyclingBatches(_harmful, _harmful.Count, 0, null, seed: 0)),
        _ => throw new ArgumentException($"Unknown defense '{defense}'; expected one of {string.Join(", ", Defenses)}.", nameof(defense)),
    };

    /// <summary>One optimizer step with <paramref name="step"/>; returns the step's loss.</summary>
    public float Step(ITrainingStep step)
    {
        using var scope = torch.NewDisposeScope();
        var loss = step.Step(Model, step is RepNoiseStep ? _paired : _batch, new StepContext(_step++, 0, 1));
        foreach (var frozen in step.FrozenParameters())
            frozen.grad = null; // as the trainer does
        _optimizer.step();
        _optimizer.zero_grad();
        return loss.item<float>();
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        Model.Dispose();
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
