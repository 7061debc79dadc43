using SafeAlign.Models.Taps;
using SafeAlign.Training;
using TorchSharp;

namespace SafeAlign.Tests.Models.Taps;

public sealed class ModelTapsTests
{
    [Fact]
    public void Capture_AttentionOutputWithRetainGrad_HoldsEachLayersGradient()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create();
        var ids = TinyModels.Ids(1);

        using var capture = model.Taps.Capture(TapPoint.AttentionOutput, retainGrad: true);
        TokenLoss.Mean(model.Forward(ids), ids).backward();

        Assert.Equal([0, 1], capture.Layers);
        Assert.Equal([2L, 7L, 32L], capture[1].shape);
        Assert.NotNull(capture[0].grad);
        Assert.True(capture[0].grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Tap_ReturningInput_ChangesNothing_ReturningPerturbed_ChangesLogits()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create();
        var ids = TinyModels.Ids(2);
        var clean = model.Forward(ids).detach();

        using (model.Taps.Add(TapPoint.MlpOutput, (_, v) => v))
            Assert.True(torch.allclose(clean, model.Forward(ids), 0, 0));
        using (model.Taps.Add(s => s.Point == TapPoint.AttentionOutput && s.Layer == 1, (_, v) => v + 0.5))
            Assert.False(torch.allclose(clean, model.Forward(ids), 1e-3, 1e-3));

        Assert.True(model.Taps.IsEmpty);
        Assert.True(torch.allclose(clean, model.Forward(ids), 0, 0));
    }

    [Fact]
    public void LinearInputTap_SeesEveryProjectionByName()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create();
        var seen = new List<(int Layer, string Module, long Features)>();

        using (model.Taps.Add(TapPoint.LinearInput, (site, v) => { seen.Add((site.Layer, site.Module, v.shape[^1])); return v; }))
            model.Forward(TinyModels.Ids(3));

        Assert.Equal(14, seen.Count);
        Assert.Contains((0, "self_attn.q_proj", 32L), seen);
        Assert.Contains((1, "mlp.down_proj", 48L), seen);
        Assert.Contains((1, "self_attn.o_proj", 32L), seen);
    }

    [Fact]
    public void LoraHiddenTap_SeesLoraAOutput_OnlyWhileAnUnmergedAdapterRuns()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create();
        model.AttachLora(new SafeAlign.Models.Lora.LoraConfig { Rank = 3, TargetModules = ["q_proj", "v_proj"] });
        var inputs = new Dictionary<(int, string), torch.Tensor>();
        var hidden = new Dictionary<(int, string), torch.Tensor>();
        using var a = model.Taps.Add(TapPoint.LinearInput, (site, v) => { inputs[(site.Layer, site.Module)] = v.detach().clone().MoveToOtherDisposeScope(scope); return v; });
        using var b = model.Taps.Add(TapPoint.LoraHidden, (site, v) => { hidden[(site.Layer, site.Module)] = v.detach().clone().MoveToOtherDisposeScope(scope); return v; });

        model.Forward(TinyModels.Ids(4));

        Assert.Equal(4, hidden.Count);
        var q = model.Projections().Single(p => p.Path == "model.layers.1.self_attn.q_proj").Linear;
        Assert.Equal(new TapSite(1, TapPoint.LinearInput, "self_attn.q_proj"), q.Site);
        Assert.Equal([2L, 7L, 3L], hidden[(1, "self_attn.q_proj")].shape);
        Assert.True(torch.allclose(hidden[(1, "self_attn.q_proj")], torch.matmul(inputs[(1, "self_attn.q_proj")], q.LoraA!.Weight.detach().t()), 1e-6, 1e-6));
        hidden.Clear();
        model.SetAdapterEnabled(false);
        model.Forward(TinyModels.Ids(4));
        Assert.Empty(hidden);
    }
}
