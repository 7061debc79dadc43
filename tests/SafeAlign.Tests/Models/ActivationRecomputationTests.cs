using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Models.Taps;
using TorchSharp;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Models;

public sealed class ActivationRecomputationTests
{
    // A 2-layer model with a non-trivial adapter on every projection, in training mode.
    private static CausalLM Model(double dropout = 0)
    {
        var model = TinyModels.Create(seed: 6);
        model.AttachLora(new LoraConfig { Rank = 2, Alpha = 4, Dropout = dropout, TargetModules = [.. LoraConfig.AllProjections], Seed = 1 });
        using (no_grad())
        {
            foreach (var p in model.TrainableParameters())
                p.Parameter.add_(randn(p.Parameter.shape, generator: new Generator(9)) * 0.05);
        }
        model.train();
        return model;
    }

    // The loss of a fixed weighting of the final hidden states and every trainable parameter's gradient, with the dropout
    // generator seeded the same way before each pass.
    private static (float Loss, List<Tensor> Gradients) LossAndGradients(CausalLM model, Func<int, bool>? recompute)
    {
        foreach (var p in model.TrainableParameters())
            p.Parameter.grad = null;
        using var ids = TinyModels.Ids(3, batch: 3, length: 9);
        using var weights = randn(3, 9, 32, generator: new Generator(2));
        random.manual_seed(17);
        using var handle = recompute is null ? null : model.Recomputation.Enable(recompute);
        using var hidden = model.HiddenStates(ids);
        using var loss = (hidden * weights).sum();
        loss.backward();
        return (loss.item<float>(), [.. model.TrainableParameters().Select(p => p.Parameter.grad is null ? zeros(1) : p.Parameter.grad.clone())]);
    }

    private static void AssertSameGradients(List<Tensor> expected, List<Tensor> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            double scale = expected[i].abs().max().item<float>();
            Assert.True(scale > 0, $"parameter {i} got no gradient");
            Assert.True(actual[i].allclose(expected[i], rtol: 1e-5, atol: 1e-6 * scale), $"parameter {i}: gradients differ by {(actual[i] - expected[i]).abs().max().item<float>():E2}");
        }
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(0.0, "1")]
    [InlineData(0.0, "0,1")]
    [InlineData(0.2, "0,1")] // dropout: the recomputation must replay the forward's masks
    public void Backward_ThroughRecomputedLayers_GivesThePlainGradients(double dropout, string layers)
    {
        using var model = Model(dropout);
        int[] chosen = [.. layers.Split(',').Select(int.Parse)];
        var (plainLoss, plain) = LossAndGradients(model, recompute: null);
        Assert.Equal(0, model.Recomputation.Recomputations);
        var (loss, recomputed) = LossAndGradients(model, recompute: chosen.Contains);
        Assert.Equal(chosen.Length, model.Recomputation.Recomputations); // each chosen layer ran again in the backward

        Assert.Equal(plainLoss, loss, 4);
        AssertSameGradients(plain, recomputed);
        // On the CPU the recomputation runs the same kernels on the same shapes: the gradients are bit for bit the plain ones.
        Assert.All(plain.Zip(recomputed), pair => Assert.True(pair.First.equal(pair.Second).all().item<bool>(), "gradients are not bit-identical"));
    }

    [Fact]
    public void FrozenParameters_InARecomputedLayer_GetNoGradient()
    {
        using var model = Model();
        var layer0 = model.TrainableParameters().Where(p => p.Name.StartsWith("model.layers.0.self_attn.", StringComparison.Ordinal)).Select(p => p.Parameter).ToList();
        Assert.NotEmpty(layer0);
        foreach (var p in layer0)
            p.requires_grad = false;
        var (_, gradients) = LossAndGradients(model, recompute: _ => true);
        foreach (var p in layer0)
            Assert.Null(p.grad);
        Assert.NotNull(model.TrainableParameters().First(p => p.Name.StartsWith("model.layers.0.mlp.", StringComparison.Ordinal)).Parameter.grad);
        foreach (var p in layer0)
            p.requires_grad = true;
        foreach (var g in gradients)
            g.Dispose();
    }

    [Fact]
    public void AutogradGrad_AtATappedLayerBelowARecomputedOne_EqualsThePlainGradient()
    {
        // Vaccine's pass 1 reads ∂L/∂e_0 with autograd.grad: the gradient crosses layer 1, which is recomputed.
        using var model = Model();
        using var ids = TinyModels.Ids(4, batch: 2, length: 8);
        Tensor GradientAtLayer0(bool recompute)
        {
            Tensor? e0 = null;
            using var tap = model.Taps.Add(site => site.Point == TapPoint.AttentionOutput && site.Layer == 0, (_, value) => e0 = value.alias().DetachFromDisposeScope());
            using var handle = recompute ? model.Recomputation.Enable(_ => true) : null;
            using var loss = model.HiddenStates(ids).square().sum();
            var g = autograd.grad([loss], [e0!])[0];
            e0!.Dispose();
            return g;
        }

        using var plain = GradientAtLayer0(recompute: false);
        using var recomputed = GradientAtLayer0(recompute: true);
        Assert.True(plain.abs().max().item<float>() > 0);
        Assert.True(recomputed.allclose(plain, rtol: 1e-5, atol: 1e-7), $"differ by {(recomputed - plain).abs().max().item<float>():E2}");
    }

    [Fact]
    public void ATappedLayer_RunsPlainly_SoItsTapSeesOneTensorPerForward()
    {
        using var model = Model();
        using var ids = TinyModels.Ids(5, batch: 2, length: 6);
        int seen = 0;
        using var tap = model.Taps.Add(site => site.Point == TapPoint.MlpOutput && site.Layer == 1, (_, value) =>
        {
            seen++;
            Assert.True(value.requires_grad, "the tapped layer ran without a graph");
            return value;
        });
        using var handle = model.Recomputation.Enable(_ => true);
        using var loss = model.HiddenStates(ids).sum();
        loss.backward();
        Assert.Equal(1, seen);
        Assert.Equal(1, model.Recomputation.Recomputations); // layer 0 only
    }

    [Fact]
    public void Recomputation_OutsideGradMode_OrWithACache_LeavesTheForwardUnchanged()
    {
        using var model = Model();
        using var ids = TinyModels.Ids(6, batch: 2, length: 6);
        using var expected = model.HiddenStates(ids).detach();
        using var handle = model.Recomputation.Enable(_ => true);
        using (no_grad())
        {
            using var actual = model.HiddenStates(ids);
            Assert.True(actual.allclose(expected, rtol: 1e-6, atol: 1e-6));
        }
        Assert.Equal(0, model.Recomputation.Recomputations);
        using var cache = new KvCache(model.Config.NumHiddenLayers, keepGraph: true);
        using var cached = model.HiddenStates(ids, cache: cache);
        Assert.True(cached.allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.Equal(6, cache.Length);
    }

    [Fact]
    public void Enable_Twice_Throws_AndDisposeTurnsItOff()
    {
        using var model = Model();
        var handle = model.Recomputation.Enable(_ => true);
        Assert.True(model.Recomputation.IsEnabled);
        var ex = Assert.Throws<InvalidOperationException>(() => model.Recomputation.Enable(_ => false));
        Assert.Contains("already enabled", ex.Message);
        handle.Dispose();
        handle.Dispose();
        Assert.False(model.Recomputation.IsEnabled);
        Assert.Throws<ArgumentNullException>(() => model.Recomputation.Enable(null!));
    }
}
