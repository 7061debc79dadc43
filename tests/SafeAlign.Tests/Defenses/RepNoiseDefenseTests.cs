using SafeAlign.Defenses;
using SafeAlign.Defenses.RepNoise;
using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Models.Taps;
using SafeAlign.Tests.Training;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Defenses;

public sealed class RepNoiseDefenseTests
{
    private static RepNoiseOptions Fast() => new() { Epochs = 2, BatchSize = 16, MaxLength = 128, LearningRate = 5e-3, Seed = 3, LogEvery = 1 };

    // Four refusal rows paired with the harmful answers to the same prompts, as RepNoiseDefense builds them.
    private static List<TokenizedExample> Pairs(int count = 4)
    {
        var data = DefenseFixture.Data();
        var tokenizer = DefenseFixture.Tokenizer();
        var safe = InstructionExamples.Build(tokenizer, 128, data.Safety.Take(count).Select(s => (s.Prompt, (string?)null, s.Response)));
        var harm = InstructionExamples.Build(tokenizer, 128, data.Harmful.Take(count).Select(h => (h.Prompt, (string?)null, h.Response)));
        return safe.Zip(harm, (s, h) => (TokenizedExample)new PairedExample(s, h)).ToList();
    }

    private static CausalLM AdaptedModel()
    {
        var model = DefenseFixture.Model();
        model.AttachLora(new LoraConfig { Rank = 4, Alpha = 8, TargetModules = [.. LoraConfig.AllProjections], Seed = 2 });
        using var noGrad = no_grad();
        foreach (var (name, p) in model.named_parameters().Where(p => p.name.Contains("lora_B")))
            p.copy_(randn(p.shape, generator: new Generator(11)) * 0.05); // a non-trivial adapter
        return model;
    }

    [Fact]
    public void Options_Invalid_Throw()
    {
        Assert.Throws<ArgumentException>(() => new RepNoiseDefense(new RepNoiseOptions { Alpha = -1 }));
        Assert.Throws<ArgumentException>(() => new RepNoiseDefense(new RepNoiseOptions { Beta = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RepNoiseStep(-0.1, 0));
    }

    [Fact]
    public void Collate_Pairs_PadsBothToOneWidth_AndMaskIsTheIdDifference()
    {
        var pairs = Pairs();
        using var scope = NewDisposeScope();
        var batch = TrainingBatch.Collate(pairs, padTokenId: 0, CPU);

        Assert.NotNull(batch.Companion);
        Assert.Equal(batch.InputIds.shape, batch.Companion!.InputIds.shape);
        var mask = RepNoiseStep.DifferingPositions(batch).data<bool>().ToArray();
        long width = batch.InputIds.shape[1];
        for (int b = 0; b < pairs.Count; b++)
        {
            var safe = pairs[b];
            var harm = ((PairedExample)pairs[b]).Companion;
            int prompt = safe.Labels.TakeWhile(l => l == TokenizedExample.IgnoreIndex).Count();
            for (int t = 0; t < width; t++)
            {
                int s = t < safe.Length ? safe.InputIds[t] : 0, h = t < harm.Length ? harm.InputIds[t] : 0;
                Assert.Equal(s != h, mask[b * width + t]);
                if (t < prompt)
                    Assert.False(mask[b * width + t], $"prompt position {t} of pair {b} is in M");
            }
            Assert.Contains(true, mask.Skip((int)(b * width)).Take((int)width));
        }
        Assert.Throws<ArgumentException>(() => TrainingBatch.Collate([pairs[0], new TokenizedExample([1, 2], [1, 2])], 0, CPU));
    }

    [Fact]
    public void Loss_OneBatch_EqualsAnIndependentComputation()
    {
        using var model = AdaptedModel();
        using var scope = NewDisposeScope();
        var batch = TrainingBatch.Collate(Pairs(), padTokenId: 0, CPU);
        const double alpha = 0.7, beta = 0.3;

        torch.manual_seed(5);
        var loss = new RepNoiseStep(alpha, beta).Loss(model, batch);

        torch.manual_seed(5);
        var expected = Independent(model, batch, alpha, beta);
        Assert.Equal(expected.Harmless, loss.Harmless.item<float>(), 1e-4);
        Assert.Equal(expected.Noise, loss.Noise.item<float>(), 1e-4 * Math.Max(1, expected.Noise));
        Assert.Equal(expected.Ascent, loss.Ascent.item<float>(), 1e-4 * expected.Ascent);
        Assert.Equal(expected.Total, loss.Total.item<float>(), 1e-4 * Math.Max(1, Math.Abs(expected.Total)));
        Assert.True(expected.Noise > 0 && expected.Ascent > 1);
    }

    [Fact]
    public void Loss_NoNoiseNoAscent_IsMaskedSftOnTheRefusals()
    {
        using var model = AdaptedModel();
        using var scope = NewDisposeScope();
        var batch = TrainingBatch.Collate(Pairs(), padTokenId: 0, CPU);

        var loss = new RepNoiseStep(0, 0).Loss(model, batch);

        var labels = batch.Labels.masked_fill(RepNoiseStep.DifferingPositions(batch).logical_not(), TokenLoss.IgnoreIndex);
        var sft = TokenLoss.Mean(model.Forward(batch.InputIds, batch.AttentionMask), labels);
        Assert.Equal(sft.item<float>(), loss.Total.item<float>(), 1e-6);
    }

    [Fact]
    public void Step_DisposesEverythingItCreates()
    {
        using var model = AdaptedModel();
        var step = new RepNoiseStep(1, 0.001);
        var pairs = Pairs();
        DefenseFixture.LiveTensorsAfter(() => step.Step(model, TrainingBatch.Collate(pairs, 0, CPU), new StepContext(0, 0, 1))); // warm-up: gradients appear

        long live = DefenseFixture.LiveTensorsAfter(() => step.Step(model, TrainingBatch.Collate(pairs, 0, CPU), new StepContext(1, 0, 1)));

        Assert.Equal(0, live);
    }

    [Fact]
    public void Step_UnpairedBatch_Throws()
    {
        using var model = AdaptedModel();
        using var scope = NewDisposeScope();
        var batch = TrainingBatch.Collate([new TokenizedExample([1, 5, 6], [-100, 5, 6])], 0, CPU);
        Assert.Throws<ArgumentException>(() => new RepNoiseStep(1, 0.001).Step(model, batch, new StepContext(0, 0, 1)));
    }

    [Fact]
    public async Task Align_UnpairedRow_ThrowsAndLeavesNoAdapter()
    {
        using var model = DefenseFixture.Model();
        var data = DefenseFixture.Data();
        var orphan = data.WithSafety([.. data.Safety, new SafeAlign.Data.SafetyExample("a prompt nobody answered", "No.", [], true)]);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => new RepNoiseDefense(Fast()).AlignAsync(new AlignmentRequest(model, DefenseFixture.Tokenizer(), orphan)));
        Assert.Contains("Safety[64]", error.Message, StringComparison.Ordinal);
        Assert.Null(model.Lora);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Align_FixtureData_TrainsThePairs_LossFalls_Deterministic()
    {
        async Task<(AlignmentResult Result, Dictionary<string, Tensor> Adapter)> Run()
        {
            using var model = DefenseFixture.Model();
            var result = await new RepNoiseDefense(Fast()).AlignAsync(new AlignmentRequest(model, DefenseFixture.Tokenizer(), DefenseFixture.Data()));
            Assert.NotNull(model.Lora);
            return (result, PeftAdapter.StateDict(model).ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone()));
        }
        var (first, adapter) = await Run();
        var (_, again) = await Run();

        Assert.Equal("repnoise", first.Defense);
        Assert.Equal(64, first.Examples);
        Assert.Equal(2 * 4, first.Training.Steps);
        Assert.All(first.Training.Losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(first.Training.Losses[^1] < first.Training.Losses[0], $"loss {first.Training.Losses[0]} → {first.Training.Losses[^1]}");
        Assert.All(adapter, kv => Assert.True(torch.allclose(kv.Value, again[kv.Key], 0, 0), kv.Key));
    }

    private sealed record Terms(double Total, double Harmless, double Noise, double Ascent);

    // The RepNoise loss computed pair by pair from its definition: its own hidden-state collection, C# masks,
    // per-token log-softmax lookups and the naive MMD; only the model's forward pieces are shared.
    private static Terms Independent(CausalLM model, TrainingBatch batch, double alpha, double beta)
    {
        var harm = batch.Companion!;
        long[] harmIds = harm.InputIds.data<long>().ToArray(), safeIds = batch.InputIds.data<long>().ToArray();
        long[] harmLabels = harm.Labels.data<long>().ToArray(), safeLabels = batch.Labels.data<long>().ToArray();
        int b = (int)batch.InputIds.shape[0], t = (int)batch.InputIds.shape[1];

        var taps = new Dictionary<(TapPoint, int), Tensor>();
        Tensor final;
        using (model.Taps.Add(s => s.Point is TapPoint.MlpOutput or TapPoint.LayerOutput or TapPoint.EmbeddingOutput, (site, v) => { taps[(site.Point, site.Layer)] = v.alias().DetachFromDisposeScope(); return v; }))
            final = model.HiddenStates(harm.InputIds, harm.AttentionMask);
        int layers = model.Config.NumHiddenLayers;

        double noise = 0;
        for (int l = 0; l < layers; l++)
        {
            var a = taps[(TapPoint.MlpOutput, l)];
            var gaussian = randn_like(a);
            double[][] x = new double[b][], y = new double[b][];
            float[] av = a.contiguous().data<float>().ToArray(), gv = gaussian.contiguous().data<float>().ToArray();
            int d = (int)a.shape[2];
            for (int i = 0; i < b; i++)
            {
                x[i] = new double[t * d];
                y[i] = new double[t * d];
                for (int p = 0; p < t; p++)
                {
                    bool m = harmIds[i * t + p] != safeIds[i * t + p];
                    for (int k = 0; k < d; k++)
                    {
                        x[i][p * d + k] = m ? av[(i * t + p) * d + k] : 0;
                        y[i][p * d + k] = m ? gv[(i * t + p) * d + k] : 0;
                    }
                }
            }
            noise += MmdTests.Naive(x, y);
        }
        noise /= layers;

        double MaskedCe(Tensor logits, long[] ids, long[] labels)
        {
            var logp = logits.to(float64).log_softmax(-1).contiguous();
            long v = logp.shape[2];
            double[] values = logp.data<double>().ToArray();
            double sum = 0;
            int count = 0;
            for (int i = 0; i < b; i++)
                for (int p = 1; p < t; p++)
                {
                    if (harmIds[i * t + p] == safeIds[i * t + p] || labels[i * t + p] == TokenizedExample.IgnoreIndex)
                        continue;
                    sum -= values[(i * t + p - 1) * v + labels[i * t + p]];
                    count++;
                }
            return sum / Math.Max(1, count);
        }

        var hidden = new List<Tensor> { taps[(TapPoint.EmbeddingOutput, 0)] };
        for (int l = 0; l < layers - 1; l++)
            hidden.Add(taps[(TapPoint.LayerOutput, l)]);
        hidden.Add(final);
        double ascent = MaskedCe(model.Logits(final), harmIds, harmLabels);
        foreach (var h in hidden)
            ascent += MaskedCe(model.Logits(model.FinalNorm(h)), harmIds, harmLabels);
        ascent = ascent / hidden.Count + 1;
        double harmless = MaskedCe(model.Forward(batch.InputIds, batch.AttentionMask), safeIds, safeLabels);
        return new Terms(harmless + beta * noise - alpha * Math.Log(ascent), harmless, noise, ascent);
    }
}
