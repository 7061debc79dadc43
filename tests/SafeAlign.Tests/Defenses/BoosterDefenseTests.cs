using SafeAlign.Data;
using SafeAlign.Defenses;
using SafeAlign.Defenses.Booster;
using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Defenses;

public sealed class BoosterDefenseTests
{
    private static BoosterOptions Fast() => new() { Epochs = 3, BatchSize = 16, MaxLength = 128, LearningRate = 5e-3, Seed = 3 };

    private static CausalLM AdaptedModel()
    {
        var model = DefenseFixture.Model();
        model.AttachLora(new LoraConfig { Rank = 4, Alpha = 8, TargetModules = [.. LoraConfig.AllProjections], Seed = 2 });
        using var noGrad = no_grad();
        foreach (var (_, p) in model.named_parameters().Where(p => p.name.Contains("lora_B")))
            p.copy_(randn(p.shape, generator: new Generator(11)) * 0.05); // non-zero B, so every adapter weight has a gradient
        return model;
    }

    private static List<TokenizedExample> Rows(IEnumerable<SafeAlign.Data.SafetyExample> rows) =>
        InstructionExamples.Build(DefenseFixture.Tokenizer(), 128, rows.Select(r => (r.Prompt, (string?)null, r.Response)));

    private static CyclingBatches HarmfulStream() => new(Rows(DefenseFixture.Data().Harmful), batchSize: 4, padTokenId: 0, maxLength: 128, seed: 8);

    private static List<Tensor> Grads(IReadOnlyList<Parameter> parameters) => parameters.Select(p => p.grad!.detach().clone()).ToList();

    private static void Zero(IReadOnlyList<Parameter> parameters)
    {
        foreach (var p in parameters)
            p.grad?.zero_();
    }

    private static void Backward(CausalLM model, TrainingBatch batch) =>
        TokenLoss.Mean(model.Forward(batch.InputIds, batch.AttentionMask), batch.Labels).backward();

    [Fact]
    public void Options_Invalid_Throw()
    {
        Assert.Throws<ArgumentException>(() => new BoosterDefense(new BoosterOptions { Lambda = -1 }));
        Assert.Throws<ArgumentException>(() => new BoosterDefense(new BoosterOptions { Alpha = double.PositiveInfinity }));
        Assert.Throws<ArgumentException>(() => new BoosterDefense(new BoosterOptions { HarmfulBatchSize = 0 }));
        Assert.Throws<ArgumentNullException>(() => new BoosterStep(5, 0.1, null!));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    public void Step_LeavesTheThreeGradientFormula_AddedToEarlierGradients_AndRestoresWeightsExactly(double lossScale)
    {
        const double lambda = 5, alpha = 0.1;
        using var model = AdaptedModel();
        using var scope = NewDisposeScope();
        var parameters = model.TrainableParameters().Select(p => p.Parameter).ToList();
        var alignment = TrainingBatch.Collate(Rows(DefenseFixture.Data().Safety.Take(4)), 0, CPU, 128);
        var harmful = TrainingBatch.Collate(HarmfulStream().NextExamples(), 0, CPU, 128);

        // The formula, gradient by gradient.
        var w = parameters.Select(p => p.detach().clone()).ToList();
        Backward(model, harmful);
        var gh = Grads(parameters);
        Zero(parameters);
        double norm = Math.Sqrt(gh.Sum(g => g.square().sum().item<float>())) + 1e-7;
        using (no_grad())
        {
            for (int i = 0; i < parameters.Count; i++)
                parameters[i].copy_(w[i] - alpha * gh[i] / norm);
        }
        Backward(model, harmful);
        var ghPerturbed = Grads(parameters);
        Zero(parameters);
        using (no_grad())
        {
            for (int i = 0; i < parameters.Count; i++)
                parameters[i].copy_(w[i]);
        }
        Backward(model, alignment);
        var gf = Grads(parameters);

        // An earlier micro-batch of the window left gradients that the step must keep.
        var earlier = parameters.Select((p, i) => randn(p.shape, generator: new Generator((ulong)(100 + i))) * 0.01).ToList();
        using (no_grad())
        {
            for (int i = 0; i < parameters.Count; i++)
                parameters[i].grad!.copy_(earlier[i]);
        }
        new BoosterStep(lambda, alpha, HarmfulStream()).Step(model, alignment, new StepContext(0, 1, lossScale));

        for (int i = 0; i < parameters.Count; i++)
        {
            var expected = earlier[i] + lossScale * (gf[i] + lambda * (gh[i] - ghPerturbed[i]));
            Assert.True(allclose(parameters[i].grad!, expected, rtol: 1e-4, atol: 1e-6), $"parameter {i}: max diff {(parameters[i].grad! - expected).abs().max().item<float>()}");
            Assert.True(allclose(parameters[i], w[i], 0, 0), $"parameter {i} was not restored bit-exactly");
        }
        // The regulariser is not trivially zero here, so the check above can tell the formula from plain SFT.
        Assert.Contains(Enumerable.Range(0, parameters.Count), i => (gh[i] - ghPerturbed[i]).abs().max().item<float>() > 1e-5);
    }

    [Fact]
    public void Step_DisposesEverythingItCreates()
    {
        using var model = AdaptedModel();
        var step = new BoosterStep(5, 0.1, HarmfulStream());
        var rows = Rows(DefenseFixture.Data().Safety.Take(4));
        DefenseFixture.LiveTensorsAfter(() => step.Step(model, TrainingBatch.Collate(rows, 0, CPU), new StepContext(0, 0, 1)));

        long live = DefenseFixture.LiveTensorsAfter(() => step.Step(model, TrainingBatch.Collate(rows, 0, CPU), new StepContext(1, 0, 1)));

        Assert.Equal(0, live);
        // The probe does see a snapshot that outlives the scope.
        ParameterSnapshot? kept = null;
        Assert.True(DefenseFixture.LiveTensorsAfter(() => kept = ParameterSnapshot.OfWeights(model.TrainableParameters().Select(p => p.Parameter).ToList())) > 0);
        kept!.Dispose();
    }

    [Fact]
    public void Step_LambdaZero_IsPlainSft()
    {
        using var model = AdaptedModel();
        using var scope = NewDisposeScope();
        var parameters = model.TrainableParameters().Select(p => p.Parameter).ToList();
        var alignment = TrainingBatch.Collate(Rows(DefenseFixture.Data().Safety.Take(4)), 0, CPU, 128);
        Backward(model, alignment);
        var sft = Grads(parameters);
        Zero(parameters);

        new BoosterStep(0, 0.1, HarmfulStream()).Step(model, alignment, new StepContext(0, 0, 1));

        for (int i = 0; i < parameters.Count; i++)
            Assert.True(allclose(parameters[i].grad!, sft[i], rtol: 1e-5, atol: 1e-8), $"parameter {i}");
    }

    [Fact]
    public void Step_UsesTheInjectedAlignmentStep()
    {
        using var model = AdaptedModel();
        using var scope = NewDisposeScope();
        var probe = new CountingStep();
        var alignment = TrainingBatch.Collate(Rows(DefenseFixture.Data().Safety.Take(2)), 0, CPU, 128);

        new BoosterStep(5, 0.1, HarmfulStream(), probe).Step(model, alignment, new StepContext(0, 0, 1));

        Assert.Equal(1, probe.Calls);
    }

    [Fact]
    public async Task Align_NoHarmfulData_ThrowsAndLeavesNoAdapter()
    {
        using var model = DefenseFixture.Model();
        var data = DefenseFixture.Data();
        var noHarmful = new AlignmentData { Safety = data.Safety, Benign = data.Benign, Utility = data.Utility };
        await Assert.ThrowsAsync<ArgumentException>(() => new BoosterDefense(Fast()).AlignAsync(new AlignmentRequest(model, DefenseFixture.Tokenizer(), noHarmful)));
        Assert.Null(model.Lora);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Align_FixtureData_LossFalls_Deterministic()
    {
        async Task<(AlignmentResult Result, Dictionary<string, Tensor> Adapter)> Run()
        {
            using var model = DefenseFixture.Model();
            var result = await new BoosterDefense(Fast()).AlignAsync(new AlignmentRequest(model, DefenseFixture.Tokenizer(), DefenseFixture.Data()));
            Assert.NotNull(model.Lora);
            return (result, PeftAdapter.StateDict(model).ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone()));
        }
        var (first, adapter) = await Run();
        var (_, again) = await Run();

        Assert.Equal("booster", first.Defense);
        Assert.Equal(64 + 16 + 8, first.Examples);
        Assert.Equal(3 * 6, first.Training.Steps);
        Assert.True(first.Training.Losses[^1] < first.Training.Losses[0], $"loss {first.Training.Losses[0]} → {first.Training.Losses[^1]}");
        Assert.All(adapter, kv => Assert.True(torch.allclose(kv.Value, again[kv.Key], 0, 0), kv.Key));
    }

    private sealed class CountingStep : ITrainingStep
    {
        public int Calls { get; private set; }

        public Tensor Step(CausalLM model, TrainingBatch batch, StepContext context)
        {
            Calls++;
            return SupervisedStep.Instance.Step(model, batch, context);
        }
    }
}
