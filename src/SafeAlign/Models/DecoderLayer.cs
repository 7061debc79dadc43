using SafeAlign.Models.Taps;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace SafeAlign.Models;

/// <summary>Pre-norm decoder layer: <c>x + attn(norm(x))</c>, then <c>h + mlp(norm(h))</c>, with taps on both sub-block outputs.</summary>
public sealed class DecoderLayer : nn.Module<Tensor, AttentionContext, Tensor>
{
    [ComponentName(Name = "input_layernorm")] private readonly RmsNorm _inputNorm;
    [ComponentName(Name = "self_attn")] private readonly Attention _attention;
    [ComponentName(Name = "post_attention_layernorm")] private readonly RmsNorm _postAttentionNorm;
    [ComponentName(Name = "mlp")] private readonly Mlp _mlp;
    private readonly ModelTaps _taps;
    private readonly int _layer;

    /// <summary>Creates decoder layer <paramref name="layer"/>.</summary>
    public DecoderLayer(ModelConfig config, int layer, ScalarType dtype, Device? device, ModelTaps taps) : base(nameof(DecoderLayer))
    {
        _inputNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        _attention = new Attention(config, layer, dtype, device, taps);
        _postAttentionNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        _mlp = new Mlp(config, layer, dtype, device, taps);
        (_taps, _layer) = (taps, layer);
        RegisterComponents();
        Sites = [new(layer, TapPoint.AttentionOutput), new(layer, TapPoint.MlpOutput), new(layer, TapPoint.LayerOutput),
            .. modules().OfType<Lora.LoraLinear>().SelectMany(l => new[] { l.Site, l.Site with { Point = TapPoint.LoraHidden } })];
    }

    /// <summary>Every tap site inside this layer (sub-block outputs, projection inputs, LoRA hiddens).</summary>
    internal IReadOnlyList<TapSite> Sites { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x, AttentionContext ctx)
    {
        using var scope = NewDisposeScope();
        var attended = _taps.Apply(new TapSite(_layer, TapPoint.AttentionOutput), _attention.call(_inputNorm.call(x), ctx)); // (B, T, hidden)
        var h = x + attended;
        var mlp = _taps.Apply(new TapSite(_layer, TapPoint.MlpOutput), _mlp.call(_postAttentionNorm.call(h)));
        var output = _taps.Apply(new TapSite(_layer, TapPoint.LayerOutput), h + mlp);
        return output.MoveToOuterDisposeScope();
    }
}
