using SafeAlign.Models;
using SafeAlign.Models.Taps;
using TorchSharp;
using static TorchSharp.torch;

namespace SafeAlign.Training;

/// <summary>
/// Vaccine's perturbation of attention outputs (Huang et al., arXiv 2402.01109, §4), shared with T-Vaccine
/// (arXiv 2410.09760), which restricts it to sampled layers. With e_l the attention sub-block output of layer l
/// before the residual add and S the chosen layers:
/// <code>
/// g_l = ∂L/∂e_l,   G = sqrt(Σ_{l∈S} ‖g_l‖²)   (one norm over the layers of S and the whole batch)
/// ε_l = ρ · g_l / (G + 1e-7)                   (the closed-form inner maximisation)
/// pass 2: forward with e_l + ε_l, ε a constant; backward
/// </code>
/// Pass 1 reads g_l with <c>autograd.grad</c>, so it leaves the parameters' gradients untouched: gradients accumulated
/// by earlier micro-batches survive, and only pass 2 reaches the optimizer (the reference zeroes all gradients between
/// the passes, which is the same with one micro-batch per step and loses earlier micro-batches otherwise).
/// </summary>
public static class AttentionPerturbation
{
    /// <summary>Added to the joint norm, as in the reference code (a zero gradient gives a zero perturbation).</summary>
    public const double NormEpsilon = 1e-7;

    /// <summary>
    /// Forward on <paramref name="batch"/> and the gradient of <c>lossScale · loss</c> at the attention output of each
    /// layer in <paramref name="layers"/>; the parameters' gradients are not touched.
    /// </summary>
    /// <param name="model">The model (its taps are used during the forward and left as they were).</param>
    /// <param name="batch">The batch; the loss is <see cref="TokenLoss.Mean"/> over its labelled tokens.</param>
    /// <param name="layers">Distinct layer indices in [0, layers).</param>
    /// <param name="lossScale">Scale of the loss whose gradient is taken (the reference divides by accumulation steps).</param>
    /// <returns>The unscaled loss (detached) and g_l per layer, (B, T, hidden) in the model's dtype.</returns>
    public static (Tensor Loss, Dictionary<int, Tensor> Gradients) LossAndGradients(CausalLM model, TrainingBatch batch, IReadOnlyCollection<int> layers, double lossScale = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        int[] chosen = CheckLayers(model, layers);
        var targets = new Dictionary<int, Tensor>();
        using var scope = NewDisposeScope();
        using var gradMode = enable_grad();
        try
        {
            Tensor loss;
            using (model.Taps.Add(site => site.Point == TapPoint.AttentionOutput && Array.BinarySearch(chosen, site.Layer) >= 0, (site, value) =>
            {
                // With nothing trainable upstream, e_l is outside the graph; as a leaf it has the same ∂L/∂e_l.
                var target = value.requires_grad ? value : value.detach().requires_grad_(true);
                if (targets.Remove(site.Layer, out var old))
                    old.Dispose();
                targets[site.Layer] = target.alias().DetachFromDisposeScope();
                return target;
            }))
            {
                loss = TokenLoss.Normalized(model, batch);
            }
            var gradients = autograd.grad([loss * lossScale], chosen.Select(l => targets[l]).ToList());
            var byLayer = new Dictionary<int, Tensor>(chosen.Length);
            for (int i = 0; i < chosen.Length; i++)
                byLayer[chosen[i]] = gradients[i].MoveToOuterDisposeScope();
            return (loss.detach().MoveToOuterDisposeScope(), byLayer);
        }
        finally
        {
            foreach (var t in targets.Values)
                t.Dispose();
        }
    }

    /// <summary>ε_l = ρ · g_l / (sqrt(Σ_l ‖g_l‖²) + 1e-7): the joint L2 norm of all ε_l is ρ (up to the 1e-7). Detached.</summary>
    /// <param name="gradients">g_l per layer.</param>
    /// <param name="rho">The perturbation budget ρ, at least 0.</param>
    public static Dictionary<int, Tensor> Perturbation(IReadOnlyDictionary<int, Tensor> gradients, double rho)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        if (gradients.Count == 0)
            throw new ArgumentException("No gradient to scale; expected g_l for at least one layer.", nameof(gradients));
        if (!double.IsFinite(rho) || rho < 0)
            throw new ArgumentOutOfRangeException(nameof(rho), $"rho is {rho}; expected a finite value ≥ 0.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var squares = stack(gradients.Values.Select(g => g.to(float32).square().sum()).ToArray()); // (|S|)
        var factor = rho / (squares.sum().sqrt() + NormEpsilon);                                    // scalar, fp32
        return gradients.ToDictionary(kv => kv.Key, kv => (kv.Value * factor.to(kv.Value.dtype)).detach().MoveToOuterDisposeScope());
    }

    /// <summary>Adds ε_l to the attention output of each layer in <paramref name="epsilon"/> until the handle is disposed.</summary>
    /// <param name="model">The model.</param>
    /// <param name="epsilon">The constant shift per layer, (B, T, hidden) like the batch it was computed on; the caller
    /// keeps it alive while the handle is.</param>
    public static IDisposable Inject(CausalLM model, IReadOnlyDictionary<int, Tensor> epsilon)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(epsilon);
        CheckLayers(model, epsilon.Keys.ToList());
        var shifts = new Dictionary<int, Tensor>(epsilon);
        return model.Taps.Add(site => site.Point == TapPoint.AttentionOutput && shifts.ContainsKey(site.Layer),
            (site, value) => value + shifts[site.Layer].detach()); // a constant: no gradient flows into ε
    }

    /// <summary>
    /// Both passes on one micro-batch: the gradients at the attention outputs of <paramref name="layers"/>, the
    /// perturbation, and a perturbed forward whose <c>lossScale · loss</c> is back-propagated into the trainable
    /// parameters (accumulating onto what earlier micro-batches left).
    /// </summary>
    /// <param name="model">The model in training mode.</param>
    /// <param name="batch">The micro-batch; both passes see it with the same padding, as ε is position-aligned.</param>
    /// <param name="layers">The perturbed layers (all layers for Vaccine).</param>
    /// <param name="rho">The perturbation budget ρ.</param>
    /// <param name="lossScale">1 / gradient-accumulation steps.</param>
    /// <returns>The perturbed (pass-2) loss, detached: what the reference trainer returns and logs.</returns>
    public static Tensor PerturbedBackward(CausalLM model, TrainingBatch batch, IReadOnlyCollection<int> layers, double rho, double lossScale)
    {
        using var scope = NewDisposeScope();
        var (_, gradients) = LossAndGradients(model, batch, layers, lossScale);
        var epsilon = Perturbation(gradients, rho);
        Tensor loss;
        using (Inject(model, epsilon))
            loss = TokenLoss.Normalized(model, batch);
        (loss * lossScale).backward();
        return loss.detach().MoveToOuterDisposeScope();
    }

    private static int[] CheckLayers(CausalLM model, IReadOnlyCollection<int> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        int count = model.Config.NumHiddenLayers;
        int[] sorted = [.. layers.Order()];
        if (sorted.Length == 0)
            throw new ArgumentException("No layer chosen; expected at least one layer index.", nameof(layers));
        if (sorted[0] < 0 || sorted[^1] >= count)
            throw new ArgumentOutOfRangeException(nameof(layers), $"Layer indices [{string.Join(", ", sorted)}] must lie in [0, {count}).");
        if (sorted.Distinct().Count() != sorted.Length)
            throw new ArgumentException($"Layer indices [{string.Join(", ", sorted)}] repeat a layer.", nameof(layers));
        return sorted;
    }
}
