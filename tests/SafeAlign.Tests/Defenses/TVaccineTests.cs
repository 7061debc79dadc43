using SafeAlign.Data;
using SafeAlign.Defenses;
using SafeAlign.Defenses.TVaccine;
using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;
using TorchSharp.Modules;

namespace SafeAlign.Tests.Defenses;

public sealed class TVaccineTests
{
    private static List<TokenizedExample> ProbePool() => InstructionExamples.Build(DefenseFixture.Tokenizer(), 128,
        DefenseFixture.Data().Harmful.Take(4).Select(h => (h.Prompt, (string?)null, h.Response)));

    [Fact]
    public void Options_BadValues_Throw_AndGammaScalesWithDepth()
    {
        Assert.Throws<ArgumentException>(() => new TVaccineDefense(new TVaccineOptions { Rho = -1 }));
        Assert.Throws<ArgumentException>(() => new TVaccineDefense(new TVaccineOptions { ProbeInterval = 0 }));
        Assert.Throws<ArgumentException>(() => new TVaccineDefense(new TVaccineOptions { ResampleInterval = 0 }));
        Assert.Throws<ArgumentException>(() => new TVaccineDefense(new TVaccineOptions { ProbePoolSize = 0 }));
        Assert.Throws<ArgumentException>(() => new TVaccineDefense(new TVaccineOptions { ActiveLayers = 0 }));
        var defaults = new TVaccineOptions();
        Assert.Equal((3.0, 200, 20, 200, true), (defaults.Rho, defaults.ProbeInterval, defaults.ResampleInterval, defaults.ProbePoolSize, defaults.TrainAllMlpAdapters));
        Assert.Equal(8, defaults.ActiveLayerCount(32));
        Assert.Equal(1, defaults.ActiveLayerCount(2));
        Assert.Equal(2, defaults.ActiveLayerCount(6));
        Assert.Throws<ArgumentException>(() => new TVaccineOptions { ActiveLayers = 5 }.ActiveLayerCount(4));
    }

    [Fact]
    public void Step_BadArguments_Throw()
    {
        using var model = PerturbationOracle.LoraModel(layers: 4);
        using var bare = DefenseFixture.Model(layers: 4);
        Assert.Throws<ArgumentException>(() => new TVaccineStep(model, new TVaccineOptions(), []));
        Assert.Throws<ArgumentException>(() => new TVaccineStep(bare, new TVaccineOptions(), ProbePool()));
        Assert.Throws<ArgumentException>(() => new TVaccineStep(model, new TVaccineOptions { ActiveLayers = 5 }, ProbePool()));
        using var other = PerturbationOracle.LoraModel(layers: 4);
        var step = new TVaccineStep(model, new TVaccineOptions(), ProbePool());
        Assert.Throws<ArgumentException>(() => step.Step(other, PerturbationOracle.Batch(2), new StepContext(0, 0, 1)));
    }

    [Fact]
    public void LayerSampler_OneLayer_FrequenciesFollowP()
    {
        double[] p = [0.1, 0.2, 0.3, 0.4];
        var random = new Random(7);
        var counts = new int[4];
        const int draws = 20_000;
        for (int i = 0; i < draws; i++)
            counts[LayerSampler.Sample(p, 1, random).Single()]++;

        double chiSquare = p.Select((pi, i) => Math.Pow(counts[i] - draws * pi, 2) / (draws * pi)).Sum();
        Assert.True(chiSquare < 16.27, $"χ² = {chiSquare:F2} (3 dof, p = 0.001 critical value 16.27); counts [{string.Join(", ", counts)}]");
    }

    [Fact]
    public void LayerSampler_TwoLayers_InclusionFollowsSuccessiveSampling()
    {
        double[] p = [0.1, 0.2, 0.3, 0.4];
        // numpy's choice(replace=False, p): P(i drawn) = p_i + Σ_{j≠i} p_j · p_i / (1 − p_j).
        double[] inclusion = p.Select((pi, i) => pi + p.Select((pj, j) => j == i ? 0 : pj * pi / (1 - pj)).Sum()).ToArray();
        var random = new Random(9);
        var counts = new int[4];
        const int draws = 20_000;
        for (int i = 0; i < draws; i++)
        {
            int[] layers = LayerSampler.Sample(p, 2, random);
            Assert.True(layers.Length == 2 && layers[0] < layers[1], string.Join(", ", layers));
            foreach (int l in layers)
                counts[l]++;
        }

        for (int i = 0; i < 4; i++)
        {
            double sigma = Math.Sqrt(inclusion[i] * (1 - inclusion[i]) / draws);
            Assert.True(Math.Abs((double)counts[i] / draws - inclusion[i]) < 4 * sigma, $"layer {i}: {(double)counts[i] / draws:F4} vs {inclusion[i]:F4}");
        }
    }

    [Fact]
    public void LayerSampler_ZeroWeights_AreDrawnOnlyAfterThePositiveOnes()
    {
        var random = new Random(1);
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal([1], LayerSampler.Sample([0, 1, 0, 0], 1, random));
            Assert.Contains(1, LayerSampler.Sample([0, 1, 0, 0], 2, random));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => LayerSampler.Sample([0.5, 0.5], 3, random));
        Assert.Throws<ArgumentException>(() => LayerSampler.Sample([0.5, -0.5], 1, random));
    }

    [Fact]
    public void Probe_NormsAndProbabilities_MatchAnIndependentComputation()
    {
        using var model = PerturbationOracle.LoraModel(layers: 4);
        using var twin = PerturbationOracle.LoraModel(layers: 4);
        var pool = ProbePool();
        var step = new TVaccineStep(model, new TVaccineOptions { ActiveLayers = 2 }, pool);
        var probe = TrainingBatch.Collate([pool[0]], 0, torch.CPU);
        var gradients = PerturbationOracle.AttentionGradients(twin, probe);
        double[] expected = [.. Enumerable.Range(0, 4).Select(l => PerturbationOracle.JointNorm([gradients[l]]))];

        double[] norms = step.ProbeNorms(pool[0]);
        step.Step(model, PerturbationOracle.Batch(4), new StepContext(0, 0, 1)); // probes pool[0] at step 0

        for (int l = 0; l < 4; l++)
        {
            Assert.Equal(expected[l], norms[l], expected[l] * 1e-5);
            Assert.Equal(expected[l] / expected.Sum(), step.LayerProbabilities![l], 1e-6);
        }
        Assert.True(expected.Max() > 1.5 * expected.Min(), "layers should differ for the test to say something");
    }

    [Fact]
    public void Step_PerturbsAndTrainsOnlyTheActiveLayers()
    {
        using var model = PerturbationOracle.LoraModel(layers: 4);
        using var twin = PerturbationOracle.LoraModel(layers: 4);
        var batch = PerturbationOracle.Batch();
        using var step = new TVaccineStep(model, new TVaccineOptions { ActiveLayers = 2 }, ProbePool());

        var loss = step.Step(model, batch, new StepContext(0, 0, 1)).item<float>();
        var active = step.ActiveLayers!.ToArray();
        var actual = PerturbationOracle.AdapterGradients(model);
        var (expectedLoss, expected) = PerturbationOracle.PassTwo(twin, batch, active, 3);

        Assert.Equal(2, active.Length);
        Assert.Equal(expectedLoss, loss, 1e-5);
        var inactive = Enumerable.Range(0, 4).Except(active).ToArray();
        bool Frozen(string name) => inactive.Any(l => name.StartsWith($"model.layers.{l}.self_attn.", StringComparison.Ordinal));
        // Active layers' attention adapters and every MLP adapter match the oracle (ε on the active layers only, norm over them).
        PerturbationOracle.AssertClose(expected.Where(kv => !Frozen(kv.Key)).ToDictionary(), actual.Where(kv => !Frozen(kv.Key)).ToDictionary());
        // Inactive layers' attention adapters get no gradient and are reported frozen.
        Assert.All(actual.Where(kv => Frozen(kv.Key)), kv => Assert.Equal(0f, kv.Value.abs().max().item<float>()));
        var frozenNames = Names(model, step.FrozenParameters());
        Assert.Equal(actual.Keys.Where(Frozen).Order(), frozenNames.Order());
        Assert.Equal(inactive.Length * 8, frozenNames.Count);
        step.Dispose();
        Assert.All(model.named_parameters().Where(p => p.name.Contains("lora_", StringComparison.Ordinal)), p => Assert.True(p.parameter.requires_grad, p.name));
    }

    [Fact]
    public void Step_WithRecomputedInactiveLayers_GivesBitIdenticalLossAndGradients()
    {
        (float Loss, Dictionary<string, torch.Tensor> Gradients, long Recomputations) Run(bool? recompute)
        {
            using var model = PerturbationOracle.LoraModel(layers: 4);
            using var step = new TVaccineStep(model, new TVaccineOptions { ActiveLayers = 1, RecomputeInactiveLayers = recompute }, ProbePool());
            float loss = step.Step(model, PerturbationOracle.Batch(), new StepContext(0, 0, 1)).item<float>();
            Assert.False(model.Recomputation.IsEnabled);
            return (loss, PerturbationOracle.AdapterGradients(model), model.Recomputation.Recomputations);
        }

        var plain = Run(recompute: false);
        var recomputed = Run(recompute: true);
        var byDefault = Run(recompute: null);

        Assert.Equal(0, plain.Recomputations);
        Assert.Equal(0, byDefault.Recomputations); // the default keeps every activation on the CPU
        Assert.True(recomputed.Recomputations >= 3, $"{recomputed.Recomputations} layer recomputations; the 3 inactive layers run again in pass 2 at least");
        Assert.Equal(plain.Loss, recomputed.Loss);
        Assert.Equal(plain.Gradients.Keys.Order(), recomputed.Gradients.Keys.Order());
        Assert.All(plain.Gradients, kv => Assert.True(kv.Value.equal(recomputed.Gradients[kv.Key]).all().item<bool>(), $"{kv.Key} differs"));
    }

    [Fact]
    public void Step_WithProbesAndDraws_LeaksNoTensor()
    {
        using var model = PerturbationOracle.LoraModel(layers: 4);
        var batch = PerturbationOracle.Batch(2);
        using var step = new TVaccineStep(model, new TVaccineOptions { ActiveLayers = 2, ProbeInterval = 1, ResampleInterval = 1 }, ProbePool());
        int t = 0;
        long Live()
        {
            using (torch.NewDisposeScope())
                step.Step(model, batch, new StepContext(t++, 0, 1));
            model.zero_grad();
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        }

        long afterOne = Live();
        Live();
        long afterThree = Live();

        Assert.True(model.Taps.IsEmpty);
        Assert.Equal(afterOne, afterThree);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Training_LeavesEveryFrozenAdapterUnchanged_DespiteMomentumAndDecay(bool trainAllMlpAdapters)
    {
        using var model = PerturbationOracle.LoraModel(layers: 4);
        var options = new TVaccineOptions { ActiveLayers = 1, ResampleInterval = 1, ProbeInterval = 3, Seed = 5, TrainAllMlpAdapters = trainAllMlpAdapters };
        using var step = new TVaccineStep(model, options, ProbePool());
        var trainer = new Trainer(new TrainerOptions { LearningRate = 1e-2, WeightDecay = 0.1, BatchSize = 8, MaxSteps = 8, LogEvery = 1, Seed = 5 });
        var snapshots = new List<Dictionary<string, torch.Tensor>> { AdapterSnapshot(model) };
        var activeSets = new List<int[]>();

        trainer.Run(model, PerturbationOracle.Examples(), step, new InlineProgress(_ =>
        {
            snapshots.Add(AdapterSnapshot(model));
            activeSets.Add([.. step.ActiveLayers!]);
        }));

        bool switched = false;
        for (int t = 0; t < activeSets.Count; t++)
        {
            switched |= t > 0 && !activeSets[t].SequenceEqual(activeSets[t - 1]);
            foreach (var (name, after) in snapshots[t + 1])
            {
                int layer = int.Parse(name.Split('.')[2], System.Globalization.CultureInfo.InvariantCulture);
                bool active = activeSets[t].Contains(layer);
                bool mlp = name.Contains(".mlp.", StringComparison.Ordinal);
                bool unchanged = torch.allclose(snapshots[t][name], after, 0, 0);
                if (!active && (!mlp || !trainAllMlpAdapters))
                    Assert.True(unchanged, $"step {t}: {name} moved while layer {layer} was frozen (active [{string.Join(", ", activeSets[t])}])");
                else if (name.Contains("lora_B", StringComparison.Ordinal))
                    Assert.False(unchanged, $"step {t}: {name} did not train");
            }
        }
        Assert.True(switched, "the active layer never changed, so momentum was never put to the test");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Align_TrainsTheAdapter_LossFalls_AndIsDeterministic()
    {
        var options = new TVaccineOptions { Epochs = 3, BatchSize = 16, MaxLength = 128, LearningRate = 5e-3, Seed = 3, ProbeInterval = 6, ResampleInterval = 2, ActiveLayers = 2 };
        async Task<(AlignmentResult Result, Dictionary<string, torch.Tensor> Adapter)> Run()
        {
            using var model = DefenseFixture.Model(layers: 4);
            var result = await new TVaccineDefense(options).AlignAsync(new AlignmentRequest(model, DefenseFixture.Tokenizer(), DefenseFixture.Data()));
            Assert.NotNull(model.Lora);
            Assert.True(model.Taps.IsEmpty);
            Assert.All(model.named_parameters().Where(p => p.name.Contains("lora_", StringComparison.Ordinal)), p => Assert.True(p.parameter.requires_grad, p.name));
            return (result, PeftAdapter.StateDict(model).ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone()));
        }

        var (result, first) = await Run();
        var (_, second) = await Run();

        Assert.Equal("t-vaccine", result.Defense);
        Assert.Equal(3 * ((88 + 15) / 16), result.Training.Steps);
        Assert.True(result.Training.Losses[^1] < result.Training.Losses[0], $"loss {result.Training.Losses[0]} → {result.Training.Losses[^1]}");
        Assert.All(first, kv => Assert.True(torch.allclose(kv.Value, second[kv.Key], 0, 0), kv.Key));
    }

    [Fact]
    public async Task Align_WithoutHarmfulRows_Throws_AndLeavesNoAdapter()
    {
        using var model = DefenseFixture.Model(layers: 4);
        var data = DefenseFixture.Data();
        var noHarmful = new AlignmentData { Safety = data.Safety, Benign = data.Benign, Utility = data.Utility };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => new TVaccineDefense().AlignAsync(new AlignmentRequest(model, DefenseFixture.Tokenizer(), noHarmful)));

        Assert.Contains("Harmful", error.Message, StringComparison.Ordinal);
        Assert.Null(model.Lora);
    }

    private static Dictionary<string, torch.Tensor> AdapterSnapshot(CausalLM model) =>
        model.named_parameters().Where(p => p.name.Contains(".lora_", StringComparison.Ordinal)).ToDictionary(p => p.name, p => p.parameter.detach().clone());

    private static List<string> Names(CausalLM model, IEnumerable<Parameter> parameters)
    {
        var handles = parameters.Select(p => p.Handle).ToHashSet();
        return [.. model.named_parameters().Where(p => handles.Contains(p.parameter.Handle)).Select(p => p.name)];
    }

    private sealed class InlineProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
