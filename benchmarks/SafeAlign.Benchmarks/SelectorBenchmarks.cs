using BenchmarkDotNet.Attributes;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Native;
using SafeAlign.Selection.Pharmacist;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;

namespace SafeAlign.Benchmarks;

/// <summary>
/// Pharmacist's hot path on the world's model width (4 layers, d = 192, vocab 1,024: the world's base model until it
/// went to 3 layers): per-sample gradient alignments ⟨∇U, ∇ℓ_i⟩ over the LoRA parameters (r 8 on all projections) for a
/// batch of 32 rows × 64 tokens, by each <see cref="GradientAlignmentStrategy"/>, and one full selector step
/// (PharmacistState.Step: weighted alignment pass, simulated harmful step on 16 rows, validation pass on 16 rows,
/// alignments, Adam on ω, AdamW on θ). Samples/s = 32 / mean time of <see cref="Alignments"/>. Every alignment row
/// includes the batch's forward and backward pass the step makes anyway (<see cref="BatchPass"/> alone), so the capture
/// strategies' extra cost is the difference.
/// </summary>
[MemoryDiagnoser]
public class SelectorBenchmarks
{
    private CausalLM _model = null!;
    private TrainingBatch _pool = null!, _harmful = null!, _validation = null!;
    private ParameterSnapshot _direction = null!;
    private PharmacistState _state = null!;
    private int[] _rows = null!;

    /// <summary>How the alignments are computed.</summary>
    [Params(GradientAlignmentStrategy.Ghost, GradientAlignmentStrategy.Materialized, GradientAlignmentStrategy.DoubleBackward, GradientAlignmentStrategy.Naive)]
    public GradientAlignmentStrategy Strategy { get; set; }

    /// <summary>The model configuration benchmarked.</summary>
    protected virtual ModelConfig Config => new ModelConfig
    {
        VocabSize = 1024, HiddenSize = 192, IntermediateSize = 512, NumHiddenLayers = 4,
        NumAttentionHeads = 6, NumKeyValueHeads = 6, HeadDim = 32, EosTokenIds = [2], TieWordEmbeddings = true,
    }.Validate();

    public const int Batch = 32, SideBatch = 16, Length = 64;

    [GlobalSetup]
    public void Setup()
    {
        SafeAlignDevice.Resolve("cpu");
        var config = Config;
        _model = new CausalLM(config, torch.ScalarType.Float32);
        _model.InitializeWeights(0);
        _model.AttachLora(new LoraConfig { Rank = 8, Alpha = 16, TargetModules = [.. LoraConfig.AllProjections], Seed = 0 });
        _model.train();
        var parameters = LoraGradientCapture.FactorWeights(_model);
        using (torch.no_grad())
        {
            // A trained adapter has lora_B ≠ 0, so lora_A has gradients too (as after the first selector steps).
            var generator = new torch.Generator(1);
            foreach (var (_, linear) in _model.Projections())
                linear.LoraB!.Weight.copy_(torch.randn(linear.LoraB.Weight.shape, generator: generator) * 0.01);
        }
        _pool = Keep(Responses(Batch, config.VocabSize, seed: 0));
        _harmful = Keep(Responses(SideBatch, config.VocabSize, seed: 1));
        _validation = Keep(Responses(SideBatch, config.VocabSize, seed: 2));
        using (var scope = torch.NewDisposeScope())
        {
            TokenLoss.Mean(_model.Forward(_validation.InputIds, _validation.AttentionMask), _validation.Labels).backward();
            _direction = ParameterSnapshot.OfGradients(parameters);
            foreach (var p in parameters)
                p.grad = null;
        }
        _state = new PharmacistState(_model, 2_000, new PharmacistOptions { Strategy = Strategy });
        _rows = Enumerable.Range(0, Batch).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _state.Dispose();
        _direction.Dispose();
        _model.Dispose();
    }

    /// <summary>The batch's plain forward and backward pass (the share every strategy starts from).</summary>
    [Benchmark]
    public float BatchPass()
    {
        using var scope = torch.NewDisposeScope();
        var loss = TokenLoss.PerSample(_model, _pool).sum();
        loss.backward();
        Zero();
        return loss.item<float>();
    }

    /// <summary>Per-sample alignments of the 32 rows with a fixed direction, including the batch pass.</summary>
    [Benchmark]
    public float Alignments()
    {
        using var scope = torch.NewDisposeScope();
        var parameters = LoraGradientCapture.FactorWeights(_model);
        torch.Tensor dots;
        if (Strategy is GradientAlignmentStrategy.Ghost or GradientAlignmentStrategy.Materialized)
        {
            using var capture = new LoraGradientCapture(_model);
            var perSample = TokenLoss.PerSample(_model, _pool);
            capture.Stop();
            perSample.sum().backward();
            dots = Strategy == GradientAlignmentStrategy.Ghost ? capture.Dot(_direction) : capture.DotMaterialized(_direction);
        }
        else
        {
            var perSample = TokenLoss.PerSample(_model, _pool);
            perSample.sum().backward();
            dots = Strategy == GradientAlignmentStrategy.DoubleBackward
                ? SampleGradientDots.DoubleBackward(_model, _pool, parameters, _direction)
                : SampleGradientDots.Naive(_model, _pool, parameters, _direction);
        }
        Zero();
        return dots.sum().item<float>();
    }

    /// <summary>One full selector step (Pharmacist with the harmful step).</summary>
    [Benchmark]
    public float SelectorStep()
    {
        using var scope = torch.NewDisposeScope();
        var result = _state.Step(_pool, _rows, _harmful, _validation);
        return result.UpperLoss.item<float>();
    }

    private void Zero()
    {
        foreach (var p in LoraGradientCapture.FactorWeights(_model))
            p.grad = null;
    }

    // Random rows whose second half is the labelled response.
    private static List<TokenizedExample> Responses(int count, int vocab, int seed) =>
        BenchmarkModels.Examples(count, Length, vocab, seed)
            .Select(e => new TokenizedExample(e.InputIds, e.Labels.Select((l, i) => i < Length / 2 ? TokenizedExample.IgnoreIndex : l).ToArray())).ToList();

    private static TrainingBatch Keep(List<TokenizedExample> examples)
    {
        var batch = TrainingBatch.Collate(examples, 0, torch.CPU);
        batch.InputIds.DetachFromDisposeScope();
        batch.Labels.DetachFromDisposeScope();
        batch.AttentionMask.DetachFromDisposeScope();
        return batch;
    }
}

/// <summary>The same measurements on a 4-layer d = 512 config (8 heads, SwiGLU 1,376, vocab 4,096).</summary>
public class WideSelectorBenchmarks : SelectorBenchmarks
{
    /// <inheritdoc />
    protected override ModelConfig Config => new ModelConfig
    {
        VocabSize = 4096, HiddenSize = 512, IntermediateSize = 1376, NumHiddenLayers = 4,
        NumAttentionHeads = 8, NumKeyValueHeads = 8, HeadDim = 64, EosTokenIds = [2], TieWordEmbeddings = true,
    }.Validate();
}

/// <summary>
/// The two capture strategies' own work, isolated from the batch pass: contracting one captured forward/backward of 32
/// rows × 64 tokens with a direction, without (Ghost) and with (Materialized) forming per-sample gradients, on the
/// world config and the d = 512 config.
/// </summary>
[MemoryDiagnoser]
public class AlignmentContractionBenchmarks
{
    private CausalLM _model = null!;
    private LoraGradientCapture _capture = null!;
    private ParameterSnapshot _direction = null!;

    /// <summary>Model width: 192 (the world's config) or 512 (4 layers, 8 heads, SwiGLU 1,376, vocab 4,096).</summary>
    [Params(192, 512)]
    public int Hidden { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        SafeAlignDevice.Resolve("cpu");
        var config = new ModelConfig
        {
            VocabSize = Hidden == 192 ? 1024 : 4096, HiddenSize = Hidden, IntermediateSize = Hidden == 192 ? 512 : 1376, NumHiddenLayers = 4,
            NumAttentionHeads = Hidden == 192 ? 6 : 8, NumKeyValueHeads = Hidden == 192 ? 6 : 8, HeadDim = Hidden == 192 ? 32 : 64,
            EosTokenIds = [2], TieWordEmbeddings = true,
        }.Validate();
        _model = new CausalLM(config, torch.ScalarType.Float32);
        _model.InitializeWeights(0);
        _model.AttachLora(new LoraConfig { Rank = 8, Alpha = 16, TargetModules = [.. LoraConfig.AllProjections], Seed = 0 });
        var examples = BenchmarkModels.Examples(SelectorBenchmarks.Batch, SelectorBenchmarks.Length, config.VocabSize);
        using var scope = torch.NewDisposeScope();
        var batch = TrainingBatch.Collate(examples, 0, torch.CPU);
        _capture = new LoraGradientCapture(_model);
        var perSample = TokenLoss.PerSample(_model, batch);
        _capture.Stop();
        perSample.sum().backward();
        _direction = ParameterSnapshot.OfGradients(_capture.Parameters);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _capture.Dispose();
        _direction.Dispose();
        _model.Dispose();
    }

    [Benchmark(Baseline = true)]
    public float Ghost()
    {
        using var scope = torch.NewDisposeScope();
        return _capture.Dot(_direction).sum().item<float>();
    }

    [Benchmark]
    public float Materialized()
    {
        using var scope = torch.NewDisposeScope();
        return _capture.DotMaterialized(_direction).sum().item<float>();
    }
}
