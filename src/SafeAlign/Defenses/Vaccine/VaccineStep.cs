using SafeAlign.Models;
using SafeAlign.Training;
using static TorchSharp.torch;

namespace SafeAlign.Defenses.Vaccine;

/// <summary>
/// One Vaccine step (Huang et al., arXiv 2402.01109, Algorithm 1): pass 1 on the batch gives g_l = ∂L/∂e_l at every
/// layer's attention output; ε_l = ρ·g_l / (‖(g_1 … g_L)‖₂ + 1e-7); pass 2 adds ε_l to e_l as a constant, and only its
/// gradient reaches the optimizer. See <see cref="AttentionPerturbation"/> for the mechanism and docs/defenses.md.
/// </summary>
public sealed class VaccineStep : ITrainingStep
{
    /// <summary>Creates the step.</summary>
    /// <param name="rho">The perturbation budget ρ (finite, ≥ 0).</param>
    public VaccineStep(double rho)
    {
        if (!double.IsFinite(rho) || rho < 0)
            throw new ArgumentOutOfRangeException(nameof(rho), $"rho is {rho}; expected a finite value ≥ 0.");
        Rho = rho;
    }

    /// <summary>The perturbation budget ρ.</summary>
    public double Rho { get; }

    /// <summary>Runs both passes; returns the perturbed (pass-2) loss, the one the reference trainer logs.</summary>
    public Tensor Step(CausalLM model, TrainingBatch batch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        var everyLayer = Enumerable.Range(0, model.Config.NumHiddenLayers).ToArray();
        return AttentionPerturbation.PerturbedBackward(model, batch, everyLayer, Rho, context.LossScale);
    }
}
