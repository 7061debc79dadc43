using SafeAlign.Models;
using SafeAlign.Models.Lora;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafeAlign.Training;

/// <summary>
/// Per-sample gradients of a model's LoRA factors from one forward and backward pass over a batch. Each factor is a
/// bias-free linear z = W·a, so for a backpropagated loss Σ_i L_i whose sample terms do not interact, sample i's gradient
/// is ∇_W L_i = Σ_t δ_{i,t} a_{i,t}ᵀ with δ = ∂(Σ_i L_i)/∂z: the factor inputs a and output gradients δ of the one batch pass
/// hold every sample's gradient (Goodfellow's per-example trick). While active, forward hooks on the factors keep a and
/// z (z retaining its gradient); after the caller's backward, <see cref="Dot"/> contracts each sample's gradient with a
/// direction without forming it, <see cref="DotMaterialized"/> forms the per-sample gradients first, and
/// <see cref="SquaredNorms"/> gives ‖∇L_i‖². Pharmacist's hot path; see docs/selection.md for the strategies compared.
/// </summary>
public sealed class LoraGradientCapture : IDisposable
{
    private readonly LoraFactor[] _factors;
    private readonly Tensor?[] _inputs, _outputs;
    private readonly List<Action> _removers = [];

    /// <summary>Starts capturing at every LoRA factor of <paramref name="model"/>, in <see cref="FactorWeights"/> order.</summary>
    /// <exception cref="InvalidOperationException">The model has no LoRA adapter attached.</exception>
    public LoraGradientCapture(CausalLM model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _factors = Factors(model).ToArray();
        if (_factors.Length == 0)
            throw new InvalidOperationException("LoraGradientCapture needs a model with a LoRA adapter attached; it captures the adapter's factors.");
        _inputs = new Tensor?[_factors.Length];
        _outputs = new Tensor?[_factors.Length];
        for (int k = 0; k < _factors.Length; k++)
        {
            int slot = k;
            var remover = _factors[k].register_forward_hook((_, input, output) =>
            {
                if (output.requires_grad)
                    output.retain_grad();
                Keep(_inputs, slot, input.detach());
                Keep(_outputs, slot, output);
                return output;
            });
            _removers.Add(remover.remove);
        }
    }

    /// <summary>
    /// The weights of a model's LoRA factors in a fixed order (per projection, lora_A then lora_B): the parameter list whose
    /// <see cref="ParameterSnapshot"/>s <see cref="Dot"/> and <see cref="DotMaterialized"/> take.
    /// </summary>
    public static IReadOnlyList<Parameter> FactorWeights(CausalLM model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Factors(model).Select(f => f.Weight).ToList();
    }

    /// <summary>The captured factors' weights, in <see cref="FactorWeights"/> order.</summary>
    public IReadOnlyList<Parameter> Parameters => _factors.Select(f => f.Weight).ToList();

    /// <summary>Stops capturing; keeps what the last forward pass left.</summary>
    public void Stop()
    {
        foreach (var remove in _removers)
            remove();
        _removers.Clear();
    }

    /// <summary>
    /// ⟨∇L_i, V⟩ for every sample i of the captured batch (B), fp32, without forming ∇L_i: per factor
    /// Σ_t δ_{i,t}ᵀ (V a_{i,t}), one (B, T, in) × (in, out) product (taken towards the narrower side) and a reduction.
    /// </summary>
    /// <param name="directions">V, one tensor per parameter in <see cref="Parameters"/> order (e.g. a gradient snapshot).</param>
    /// <exception cref="InvalidOperationException">No forward and backward pass was captured.</exception>
    public Tensor Dot(ParameterSnapshot directions)
    {
        Check(directions);
        using var scope = NewDisposeScope();
        Tensor? total = null;
        for (int k = 0; k < _factors.Length; k++)
        {
            var (a, delta) = Captured(k);                                              // (B, T, in), (B, T, out)
            var v = directions.Tensors[k].to(a.dtype);                                   // (out, in)
            // δᵀ(V a) = (Vᵀδ)ᵀ a: project onto the narrower side (r for a LoRA factor), so the product stays (B, T, r).
            var term = v.shape[0] <= v.shape[1]
                ? (matmul(a, v.t()) * delta).sum([1, 2])                                 // (B, T, out) → (B)
                : (matmul(delta, v) * a).sum([1, 2]);                                    // (B, T, in) → (B)
            total = total is null ? term : total + term;
        }
        return total!.to(float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// ⟨∇L_i, V⟩ as <see cref="Dot"/>, by first forming each sample's gradient Σ_t δ_{i,t} a_{i,t}ᵀ (B, out, in) per factor
    /// (the Opacus-style batched per-sample gradient); kept to compare strategies.
    /// </summary>
    /// <param name="directions">V, in <see cref="Parameters"/> order.</param>
    public Tensor DotMaterialized(ParameterSnapshot directions)
    {
        Check(directions);
        using var scope = NewDisposeScope();
        Tensor? total = null;
        for (int k = 0; k < _factors.Length; k++)
        {
            var perSample = PerSampleGradient(k);                                        // (B, out, in)
            var term = (perSample * directions.Tensors[k].to(perSample.dtype)).sum([1, 2]); // (B)
            total = total is null ? term : total + term;
        }
        return total!.to(float32).MoveToOuterDisposeScope();
    }

    /// <summary>‖∇L_i‖² over every LoRA factor for each sample of the captured batch (B), fp32.</summary>
    /// <exception cref="InvalidOperationException">No forward and backward pass was captured.</exception>
    public Tensor SquaredNorms()
    {
        using var scope = NewDisposeScope();
        Tensor? total = null;
        for (int k = 0; k < _factors.Length; k++)
        {
            var term = PerSampleGradient(k).square().sum([1, 2]);                       // (B)
            total = total is null ? term : total + term;
        }
        return total!.to(float32).MoveToOuterDisposeScope();
    }

    /// <summary>Stops capturing and releases the captured tensors.</summary>
    public void Dispose()
    {
        Stop();
        for (int k = 0; k < _factors.Length; k++)
        {
            _inputs[k]?.Dispose();
            _outputs[k]?.Dispose();
            (_inputs[k], _outputs[k]) = (null, null);
        }
    }

    private static IEnumerable<LoraFactor> Factors(CausalLM model) =>
        model.Projections().Where(p => p.Linear.LoraA is not null && p.Linear.LoraB is not null)
            .SelectMany(p => new[] { p.Linear.LoraA!, p.Linear.LoraB! });

    private static void Keep(Tensor?[] slots, int slot, Tensor value)
    {
        slots[slot]?.Dispose();
        slots[slot] = value.alias().DetachFromDisposeScope();
    }

    private Tensor PerSampleGradient(int k)
    {
        var (a, delta) = Captured(k);
        return einsum("bto,bti->boi", delta, a);                                         // (B, out, in)
    }

    private (Tensor Input, Tensor OutputGradient) Captured(int k)
    {
        var input = _inputs[k];
        var output = _outputs[k];
        var grad = output?.grad;
        if (input is null || grad is null)
            throw new InvalidOperationException($"LoRA factor {k} holds no captured forward and backward pass; run the batch's forward pass while capturing, then backward, before asking for per-sample results.");
        return (input, grad);
    }

    private void Check(ParameterSnapshot directions)
    {
        ArgumentNullException.ThrowIfNull(directions);
        if (directions.Tensors.Count != _factors.Length)
            throw new ArgumentException($"The directions hold {directions.Tensors.Count} tensors for {_factors.Length} LoRA factors; take them over LoraGradientCapture.Parameters.", nameof(directions));
    }
}
