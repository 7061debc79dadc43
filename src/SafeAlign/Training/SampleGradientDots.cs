using SafeAlign.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafeAlign.Training;

/// <summary>
/// ⟨∇ℓ_i(θ), V⟩ for every sample i of a batch, ℓ_i the sample's token-mean loss (<see cref="TokenLoss.PerSample(CausalLM, TrainingBatch)"/>) and
/// V a direction over <c>parameters</c>, by recomputation at the model's current weights: <see cref="Naive"/> (one
/// forward and backward per sample, the oracle) and <see cref="DoubleBackward"/> (the whole vector as one
/// Jacobian-vector product, J·V = ∂/∂u ⟨Jᵀu, V⟩). <see cref="LoraGradientCapture"/> gets the same numbers from the
/// batch pass a step already makes. Neither method touches <c>.grad</c>.
/// </summary>
public static class SampleGradientDots
{
    /// <summary>One forward and backward per sample (B passes): the reference the batched strategies are tested against.</summary>
    /// <param name="model">The model at the weights the gradients are taken at.</param>
    /// <param name="batch">The samples.</param>
    /// <param name="parameters">The parameters the gradients are taken over.</param>
    /// <param name="directions">V, one tensor per parameter.</param>
    /// <returns>(B), fp32.</returns>
    public static Tensor Naive(CausalLM model, TrainingBatch batch, IReadOnlyList<Parameter> parameters, ParameterSnapshot directions)
    {
        Check(model, batch, parameters, directions);
        var inputs = parameters.Cast<Tensor>().ToList();
        using var scope = NewDisposeScope();
        var dots = new List<Tensor>();
        for (long i = 0; i < batch.InputIds.shape[0]; i++)
        {
            var logits = model.Forward(batch.InputIds.narrow(0, i, 1), batch.AttentionMask.narrow(0, i, 1));
            var loss = TokenLoss.PerSample(logits, batch.Labels.narrow(0, i, 1)).sum();
            var grads = torch.autograd.grad([loss], inputs, allow_unused: true);
            dots.Add(Contract(grads, directions));
        }
        return stack(dots).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The whole vector in one forward, one backward and one double-backward: with u a dummy (B) vector, g(u) = Jᵀu is
    /// the backward of Σ_i u_i ℓ_i built with <c>create_graph</c>, and ∂⟨g(u), V⟩/∂u = J·V. Needs every operation of
    /// the model to be twice differentiable; libtorch's fused CPU flash attention is not (its backward has no derivative, and
    /// the failure aborts the process), so flash attention is switched off, process-wide, while this runs, and SDPA takes
    /// its math path.
    /// </summary>
    /// <param name="model">The model at the weights the gradients are taken at.</param>
    /// <param name="batch">The samples.</param>
    /// <param name="parameters">The parameters the gradients are taken over.</param>
    /// <param name="directions">V, one tensor per parameter.</param>
    /// <returns>(B), fp32.</returns>
    public static Tensor DoubleBackward(CausalLM model, TrainingBatch batch, IReadOnlyList<Parameter> parameters, ParameterSnapshot directions)
    {
        Check(model, batch, parameters, directions);
        var inputs = parameters.Cast<Tensor>().ToList();
        bool flash = torch.backends.cuda.flash_sdp_enabled();
        torch.backends.cuda.enable_flash_sdp(false);
        try
        {
            using var scope = NewDisposeScope();
            var losses = TokenLoss.PerSample(model, batch);  // (B)
            var u = ones_like(losses).requires_grad_(true);                                                      // (B)
            var grads = torch.autograd.grad([losses], inputs, [u], create_graph: true, allow_unused: true);     // Jᵀu
            var projection = Contract(grads, directions);                                                        // ⟨Jᵀu, V⟩
            var jv = torch.autograd.grad([projection], [u])[0];                                                  // J·V (B)
            return jv.detach().to(float32).MoveToOuterDisposeScope();
        }
        finally
        {
            torch.backends.cuda.enable_flash_sdp(flash);
        }
    }

    // Σ_p ⟨grad_p, V_p⟩ as a scalar (a missing gradient counts as zero).
    private static Tensor Contract(IList<Tensor> grads, ParameterSnapshot directions)
    {
        Tensor? total = null;
        for (int p = 0; p < grads.Count; p++)
        {
            if (grads[p] is null || grads[p].IsInvalid)
                continue;
            var term = (grads[p].to(float32) * directions.Tensors[p].to(float32)).sum();
            total = total is null ? term : total + term;
        }
        return total ?? tensor(0f);
    }

    private static void Check(CausalLM model, TrainingBatch batch, IReadOnlyList<Parameter> parameters, ParameterSnapshot directions)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(directions);
        if (directions.Tensors.Count != parameters.Count)
            throw new ArgumentException($"The directions hold {directions.Tensors.Count} tensors for {parameters.Count} parameters; take them over the same list.", nameof(directions));
    }
}
