using static TorchSharp.torch;

namespace SafeAlign.Models;

/// <summary>
/// Activation recomputation ("gradient checkpointing") for chosen decoder layers: such a layer keeps only its input during
/// a forward that builds a graph, and runs again inside the backward to produce its gradients, trading one extra forward
/// of the layer for its stored activations (attention scores, MLP intermediates, LoRA hiddens). T-Vaccine runs its
/// non-sampled layers this way (arXiv 2410.09760, §4.3), as its reference does with Hugging Face's checkpointing.
/// <para>
/// Gradients equal those of the plain forward: the recomputation replays the layer's dropout with the random state the
/// forward used, and the gradients of the layer's trainable parameters are returned to the outer backward (so they
/// accumulate where the plain graph would put them, and <c>autograd.grad</c> works through a recomputed layer). A layer
/// runs plainly when a tap would see one of its tensors (a tap would run twice), when the forward extends a
/// <see cref="KvCache"/>, when gradient mode is off, when nothing in it needs a gradient, or when it would draw LoRA
/// dropout on an accelerator (only the CPU generator's state is replayed).
/// </para>
/// </summary>
public sealed class ActivationRecomputation
{
    private Func<int, bool>? _layers;

    /// <summary>Whether some layer is recomputed at present.</summary>
    public bool IsEnabled => _layers is not null;

    /// <summary>Recomputes the layers <paramref name="layers"/> accepts (by index) until the handle is disposed.</summary>
    /// <param name="layers">Which decoder layers to recompute; read at every forward.</param>
    /// <returns>A handle that turns recomputation off again.</returns>
    /// <exception cref="InvalidOperationException">Recomputation is already on (handles do not nest).</exception>
    public IDisposable Enable(Func<int, bool> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (_layers is not null)
            throw new InvalidOperationException("Activation recomputation is already enabled on this model; dispose the earlier handle first.");
        _layers = layers;
        return new Handle(this, layers);
    }

    /// <summary>How many layer forwards have been recomputed in backward passes so far.</summary>
    internal long Recomputations => Interlocked.Read(ref _recomputations);

    private long _recomputations;

    /// <summary>Counts one recomputed layer forward.</summary>
    internal void Count() => Interlocked.Increment(ref _recomputations);

    /// <summary>Whether layer <paramref name="layer"/> is to be recomputed in the current forward.</summary>
    internal bool Applies(int layer) => _layers?.Invoke(layer) == true;

    private sealed class Handle(ActivationRecomputation owner, Func<int, bool> layers) : IDisposable
    {
        private ActivationRecomputation? _owner = owner;

        public void Dispose()
        {
            if (_owner is not null && ReferenceEquals(_owner._layers, layers))
                _owner._layers = null;
            _owner = null;
        }
    }
}

/// <summary>
/// The autograd node behind <see cref="ActivationRecomputation"/>: forward runs the layer without a graph and keeps its
/// input; backward runs it again with a graph and returns the gradients of the input and of the trainable parameters.
/// </summary>
internal sealed class RecomputedLayer : autograd.SingleTensorFunction<RecomputedLayer>
{
    private const string LayerKey = "layer", OwnerKey = "owner", ParametersKey = "parameters", InputGradKey = "input_grad", RngKey = "rng";

    public override string Name => nameof(RecomputedLayer);

    /// <summary>The layer's output (B, T, hidden) for input <paramref name="x"/>, with the layer's activations left unsaved.</summary>
    public static Tensor Apply(ActivationRecomputation owner, DecoderLayer layer, Tensor x, AttentionContext context, TorchSharp.Modules.Parameter[] trainable)
    {
        object[] vars = [x, layer, context, trainable, owner, .. trainable];
        return apply(vars);
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var context = (AttentionContext)vars[2];
        // The context's RoPE tables and mask die with the forward's dispose scope; saved variables keep them for the backward.
        ctx.save_for_backward([x, context.Cos, context.Sin, context.Mask!]);
        ctx.save_data(LayerKey, vars[1]);
        ctx.save_data(ParametersKey, vars[3]);
        ctx.save_data(OwnerKey, vars[4]);
        ctx.save_data(InputGradKey, x.requires_grad);
        // The backward replays the forward's dropout masks from the same generator state, as PyTorch's checkpoint does.
        using (var state = random.get_rng_state())
            ctx.save_data(RngKey, state.data<byte>().ToArray()); // a managed copy: a backward that never comes leaves nothing native

        return ((DecoderLayer)vars[1]).call(x, context);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var layer = (DecoderLayer)ctx.get_data(LayerKey);
        var parameters = (TorchSharp.Modules.Parameter[])ctx.get_data(ParametersKey);
        bool inputGrad = (bool)ctx.get_data(InputGradKey);
        ((ActivationRecomputation)ctx.get_data(OwnerKey)).Count();
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var (x, context) = (saved[0], new AttentionContext(saved[1], saved[2], saved[3], Cache: null));
        var input = x.detach().requires_grad_(inputGrad);
        using var outerRng = random.get_rng_state();
        using (var forwardRng = tensor((byte[])ctx.get_data(RngKey)))
            random.set_rng_state(forwardRng);
        Tensor output;
        try
        {
            using var gradMode = enable_grad();
            output = layer.call(input, context);
        }
        finally
        {
            random.set_rng_state(outerRng);
        }
        var targets = (inputGrad ? [input] : Array.Empty<Tensor>()).Concat(parameters).ToList();
        var gradients = autograd.grad([output], targets, [gradOutput], allow_unused: true);
        var result = new List<Tensor> { inputGrad ? gradients[0].MoveToOuterDisposeScope() : null!, null!, null!, null!, null! };
        result.AddRange(gradients.Skip(inputGrad ? 1 : 0).Select(g => g is null || g.IsInvalid ? null! : g.MoveToOuterDisposeScope()));
        return result;
    }
}
