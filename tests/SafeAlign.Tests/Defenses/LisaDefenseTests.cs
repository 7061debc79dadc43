using SafeAlign.Defenses.Lisa;
using SafeAlign.Evaluation;
using SafeAlign.Evaluation.World;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Defenses;

public sealed class LisaDefenseTests
{
    private static List<TokenizedExample> AlignmentRows() =>
        InstructionExamples.Build(DefenseFixture.Tokenizer(), 128, DefenseFixture.Data().SupervisedItems());

    private static CyclingBatches AlignmentStream() => new(AlignmentRows(), batchSize: 4, padTokenId: 0, maxLength: 128, seed: 6);

    private static LisaStep Step(int ka, int kf, int total, double rho = 1, double delay = 0.1) =>
        new(new LisaOptions { AlignmentSteps = ka, FinetuneSteps = kf, Rho = rho, ProximalDelayRatio = delay }, AlignmentStream(), total);

    private static CausalLM AdaptedModel()
    {
        var model = DefenseFixture.Model();
        model.AttachLora(new LoraConfig { Rank = 4, Alpha = 8, TargetModules = [.. LoraConfig.AllProjections], Seed = 2 });
        return model;
    }

    private static void Move(IReadOnlyList<Parameter> parameters, ulong seed, List<Tensor>? deltas = null)
    {
        using var noGrad = no_grad();
        foreach (var p in parameters)
        {
            var delta = randn(p.shape, generator: new Generator(seed++)) * 0.01;
            deltas?.Add(delta);
            p.add_(delta);
        }
    }

    [Fact]
    public void Options_Invalid_Throw()
    {
        Assert.Throws<ArgumentException>(() => new LisaOptions { AlignmentSteps = 0, FinetuneSteps = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new LisaOptions { FinetuneSteps = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new LisaOptions { Rho = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new LisaOptions { ProximalDelayRatio = 1.5 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => Step(1, 9, total: 0));
        Assert.Throws<ArgumentException>(() => new LisaDefense(DefenseFixture.Data().WithSafety([])));
    }

    [Fact]
    public void Schedule_AlternatesStartingWithAlignment_SwitchesResetTheAnchor()
    {
        var step = Step(ka: 2, kf: 3, total: 20);

        var alignment = Enumerable.Range(0, 20).Where(step.IsAlignmentStep).ToArray();
        var switches = Enumerable.Range(0, 20).Where(step.IsSwitch).ToArray();

        Assert.Equal([0, 1, 5, 6, 10, 11, 15, 16], alignment);
        Assert.Equal([2, 5, 7, 10, 12, 15, 17], switches);
        Assert.Equal(Enumerable.Range(0, 20), Enumerable.Range(0, 20).Where(s => !Step(0, 3, 20).IsAlignmentStep(s)));   // K_a = 0: plain fine-tuning
        Assert.All(Enumerable.Range(0, 20), s => Assert.True(Step(2, 0, 20).IsAlignmentStep(s)));                         // K_f = 0: only alignment
    }

    [Theory]
    [InlineData(32, 0.1, 4)]   // 0.1·32 = 3.2: steps 0..3 off
    [InlineData(30, 0.1, 4)]   // 0.1·30 = 3: the reference's strict '>' also leaves step 3 off
    [InlineData(10, 0.0, 1)]   // no delay: on from step 1 (step 0 is never > 0)
    public void ProximalTerm_OffForTheFirstShareOfSteps(int total, double delay, int firstOn)
    {
        var step = Step(1, 9, total, delay: delay);
        Assert.Equal(firstOn, Enumerable.Range(0, total).First(step.IsProximalOn));
        Assert.All(Enumerable.Range(firstOn, total - firstOn), s => Assert.True(step.IsProximalOn(s)));
        Assert.False(Step(1, 9, total, rho: 0).IsProximalOn(total - 1));
    }

    [Fact]
    public void Step_AlignsOnItsOwnBatches_ProximalValueAndGradient_AnchorResetAtSwitch()
    {
        const double rho = 3;
        using var model = AdaptedModel();
        using var scope = NewDisposeScope();
        var parameters = model.TrainableParameters().Select(p => p.Parameter).ToList();
        // K_a = 1, K_f = 3, 10 steps: 0 aligns, 1 switches to the user (w̃ reset), the proximal term is on from step 2.
        var lisa = Step(ka: 1, kf: 3, total: 10, rho: rho);
        var twin = AlignmentStream();
        // A user batch with nothing labelled has CE 0, so any loss on it comes from the alignment data or the proximal term.
        var user = TrainingBatch.Collate([new TokenizedExample([1, 40, 41, 42], [-100, -100, -100, -100])], 0, CPU);
        var labelled = TrainingBatch.Collate(AlignmentRows().Skip(10).Take(3).ToList(), 0, CPU, 128);

        var first = lisa.Step(model, user, new StepContext(0, 0, 1)).item<float>();
        var alignmentBatch = twin.Next(CPU);                          // the same stream, so the same first batch
        using (no_grad())
            Assert.Equal(TokenLoss.Mean(model.Forward(alignmentBatch.InputIds, alignmentBatch.AttentionMask), alignmentBatch.Labels).item<float>(), first, 1e-5);

        Move(parameters, seed: 50);                                  // drift during the alignment state
        var atSwitch = lisa.Step(model, labelled, new StepContext(1, 0, 1)).item<float>();
        using (no_grad())
            Assert.Equal(TokenLoss.Mean(model.Forward(labelled.InputIds, labelled.AttentionMask), labelled.Labels).item<float>(), atSwitch, 1e-5);

        var deltas = new List<Tensor>();
        Move(parameters, seed: 80, deltas);                          // drift since the switch: w − w̃
        foreach (var p in parameters)
            p.grad?.zero_();
        var ce = TokenLoss.Mean(model.Forward(labelled.InputIds, labelled.AttentionMask), labelled.Labels);
        ce.backward();
        var ceGrads = parameters.Select(p => p.grad!.detach().clone()).ToList();
        foreach (var p in parameters)
            p.grad!.zero_();

        var loss = lisa.Step(model, labelled, new StepContext(2, 0, 1)).item<float>();

        double distance = deltas.Sum(d => d.to(float64).square().sum().item<double>());
        Assert.Equal(ce.item<float>() + rho / 2 * distance, loss, 1e-4);
        for (int i = 0; i < parameters.Count; i++)
            Assert.True(allclose(parameters[i].grad!, ceGrads[i] + rho * deltas[i], rtol: 1e-4, atol: 1e-6), $"parameter {i}");
        Assert.True(distance > 1e-3);
    }

    [Fact]
    public void Step_DisposesEverythingItCreates_ButTheAnchor()
    {
        using var model = AdaptedModel();
        using var lisa = Step(ka: 1, kf: 3, total: 10);
        var user = AlignmentRows().Take(3).ToList();
        DefenseFixture.LiveTensorsAfter(() => lisa.Step(model, TrainingBatch.Collate(user, 0, CPU), new StepContext(0, 0, 1)));   // anchors w̃
        DefenseFixture.LiveTensorsAfter(() => lisa.Step(model, TrainingBatch.Collate(user, 0, CPU), new StepContext(1, 0, 1)));   // switch: re-anchors

        long live = DefenseFixture.LiveTensorsAfter(() => lisa.Step(model, TrainingBatch.Collate(user, 0, CPU), new StepContext(2, 0, 1)));

        Assert.Equal(0, live);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Attack_WithLisa_RunsTheJob_Deterministic_AndDiffersFromThePlainAttack()
    {
        var world = DefenseFixture.World();
        var tasks = SafetyWorld.Tasks.SelectMany(t => world.TaskTrain[t]).ToList();
        var options = new HarmfulFinetuneAttackOptions { Samples = 24, HarmfulRatio = 0.25, BatchSize = 4, Epochs = 1, LearningRate = 5e-3, Seed = 4 };
        var lisa = new LisaDefense(DefenseFixture.Data(), new LisaOptions { AlignmentSteps = 1, FinetuneSteps = 2 });

        (TrainingReport Report, Dictionary<string, Tensor> Adapter) Run(bool withLisa)
        {
            using var model = DefenseFixture.Model();
            var attack = new HarmfulFinetuneAttack(options);
            var report = withLisa
                ? attack.Run(model, DefenseFixture.Tokenizer(), world.AttackPool, tasks, lisa)
                : attack.Run(model, DefenseFixture.Tokenizer(), world.AttackPool, tasks);
            Assert.NotNull(model.Lora);
            return (report, PeftAdapter.StateDict(model).ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone()));
        }
        var (report, adapter) = Run(true);
        var (_, again) = Run(true);
        var (plain, plainAdapter) = Run(false);

        Assert.Equal(6, report.Steps);
        Assert.All(report.Losses, l => Assert.True(double.IsFinite(l)));
        Assert.All(adapter, kv => Assert.True(torch.allclose(kv.Value, again[kv.Key], 0, 0), kv.Key));
        Assert.NotEqual(plain.Losses[0], report.Losses[0]);                                   // step 0 trains on alignment data
        Assert.Contains(adapter, kv => !torch.allclose(kv.Value, plainAdapter[kv.Key], 0, 0));
    }
}
