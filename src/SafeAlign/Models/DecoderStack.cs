using SafeAlign.Models.Taps;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace SafeAlign.Models;

/// <summary>HF's inner <c>model</c>: token embedding, decoder layers, final norm.</summary>
public sealed class DecoderStack : nn.Module<Tensor, AttentionContext, Tensor>
{
    [ComponentName(Name = "embed_tokens")] private readonly TokenEmbedding _embed;
    [ComponentName(Name = "layers")] private readonly ModuleList<DecoderLayer> _layers;
    [ComponentName(Name = "norm")] private readonly RmsNorm _norm;
    private readonly ModelTaps _taps;
    private readonly ActivationRecomputation _recomputation;

    /// <summary>Creates the stack for <paramref name="config"/> with uninitialised weights.</summary>
    public DecoderStack(ModelConfig config, ScalarType dtype, Device? device, ModelTaps taps, ActivationRecomputation recomputation) : base(nameof(DecoderStack))
    {
        _embed = new TokenEmbedding(config.VocabSize, config.HiddenSize, dtype, device);
        _layers = new ModuleList<DecoderLayer>(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new DecoderLayer(config, i, dtype, device, taps)).ToArray());
        _norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        (_taps, _recomputation) = (taps, recomputation);
        RegisterComponents();
    }

    /// <summary>The token embedding (also the output projection when embeddings are tied).</summary>
    public TokenEmbedding Embedding => _embed;

    /// <summary>The final norm applied to the last layer's output.</summary>
    public RmsNorm Norm => _norm;

    /// <summary>Maps ids (B, T) to final-norm hidden states (B, T, hidden).</summary>
    public override Tensor forward(Tensor inputIds, AttentionContext ctx)
    {
        using var scope = NewDisposeScope();
        var h = _taps.Apply(new TapSite(0, TapPoint.EmbeddingOutput), _embed.call(inputIds)); // (B, T, hidden)
        for (int i = 0; i < _layers.Count; i++)
            h = Recomputed(i, h, ctx) ?? _layers[i].call(h, ctx);
        return _norm.call(h).MoveToOuterDisposeScope();
    }

    // Layer i's output under activation recomputation, or null where the layer runs plainly (see ActivationRecomputation).
    private Tensor? Recomputed(int i, Tensor h, AttentionContext ctx)
    {
        if (!_recomputation.IsEnabled || ctx.Cache is not null || !is_grad_enabled() || !_recomputation.Applies(i))
            return null;
        var layer = _layers[i];
        var trainable = layer.parameters().Where(p => p.requires_grad).ToArray();
        if ((!h.requires_grad && trainable.Length == 0) || _taps.AnyAt(layer.Sites))
            return null;
        // The recomputation replays dropout from the CPU generator's state; an accelerator's generator is not replayed.
        if (h.device_type != TorchSharp.DeviceType.CPU && layer.training && layer.modules().OfType<Lora.LoraLinear>().Any(l => l.DropoutRate > 0))
            return null;
        return RecomputedLayer.Apply(_recomputation, layer, h, ctx, trainable);
    }
}

/// <summary>Token embedding table (vocab, hidden), looked up with <c>index_select</c>.</summary>
public sealed class TokenEmbedding : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "weight")] private readonly Parameter _weight;

    /// <summary>Creates an uninitialised table.</summary>
    public TokenEmbedding(long vocab, long hidden, ScalarType dtype, Device? device) : base(nameof(TokenEmbedding))
    {
        _weight = new Parameter(empty(vocab, hidden, dtype: dtype, device: device));
        RegisterComponents();
    }

    /// <summary>The table.</summary>
    public Parameter Weight => _weight;

    /// <inheritdoc />
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var flat = _weight.index_select(0, ids.reshape(-1));            // (B·T, hidden)
        return flat.reshape(ids.shape[0], ids.shape[1], -1).MoveToOuterDisposeScope(); // (B, T, hidden)
    }
}
