using SafeAlign.Models;
using SafeAlign.Training;
using static TorchSharp.torch;

namespace SafeAlign.Defenses.Booster;

/// <summary>
/// One Booster step (Huang et al., arXiv 2409.01586, Algorithm 1; reference <c>BoosterAlignmentTrainer</c>): with a
/// harmful batch drawn from its own cycling stream, g_h = ∇h(w); N = ‖g_h‖ (global over the trainable parameters) + 1e-7;
/// w' = w − α·g_h/N; g_h' = ∇h(w') on the same batch; w is restored bit-exactly from a copy; g_f comes from the alignment
/// step on the trainer's batch. The trainer's optimizer then applies g_f + λ·(g_h − g_h'), scaled by
/// <see cref="StepContext.LossScale"/> and added to the gradients earlier micro-batches of the window left.
/// The returned loss is the alignment loss only, as the reference logs.
/// </summary>
public sealed class BoosterStep : ITrainingStep
{
    private readonly double _lambda, _alpha;
    private readonly CyclingBatches _harmful;
    private readonly ITrainingStep _alignment;

    /// <summary>Creates the step.</summary>
    /// <param name="lambda">λ, weight of the regulariser.</param>
    /// <param name="alpha">α, length of the simulated normalised harmful step.</param>
    /// <param name="harmful">The harmful batches (prompt → harmful answer).</param>
    /// <param name="alignmentStep">
    /// Computes g_f on the trainer's batch (default <see cref="SupervisedStep"/>). Booster+Vaccine passes Vaccine's
    /// perturbation-aware step here (the reference's <c>perturb_aware</c>); any step that leaves
    /// LossScale·∇f in the gradients fits.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">λ or α is negative or not finite.</exception>
    public BoosterStep(double lambda, double alpha, CyclingBatches harmful, ITrainingStep? alignmentStep = null)
    {
        if (!(lambda >= 0 && double.IsFinite(lambda)))
            throw new ArgumentOutOfRangeException(nameof(lambda), $"lambda is {lambda}; expected a finite number ≥ 0.");
        if (!(alpha >= 0 && double.IsFinite(alpha)))
            throw new ArgumentOutOfRangeException(nameof(alpha), $"alpha is {alpha}; expected a finite number ≥ 0.");
        ArgumentNullException.ThrowIfNull(harmful);
        (_lambda, _alpha, _harmful, _alignment) = (lambda, alpha, harmful, alignmentStep ?? SupervisedStep.Instance);
    }

    /// <inheritdoc />
    public Tensor Step(CausalLM model, TrainingBatch batch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        var parameters = model.TrainableParameters().Select(p => p.Parameter).ToList();
        ParameterGradients.Materialize(parameters);
        using var earlier = ParameterSnapshot.OfGradients(parameters);   // what earlier micro-batches of this window left
        ParameterGradients.Zero(parameters);
        var harmful = _harmful.Next(model.Device);

        HarmfulLoss(model, harmful).backward();
        using var harmfulGrad = ParameterSnapshot.OfGradients(parameters);        // g_h
        ParameterGradients.Zero(parameters);
        using (var weights = ParameterSnapshot.OfWeights(parameters))
        {
            var stepSize = -_alpha / (harmfulGrad.SquaredNorm().sqrt() + 1e-7);
            harmfulGrad.AddScaledInto(parameters, stepSize);                       // w' = w − α·g_h/N
            HarmfulLoss(model, harmful).backward();
            weights.RestoreInto(parameters);                                       // exact, unlike adding the step back
        }
        using var perturbedGrad = ParameterSnapshot.OfGradients(parameters);      // g_h'
        ParameterGradients.Zero(parameters);

        var loss = _alignment.Step(model, batch, context);                        // leaves LossScale·g_f
        double scale = context.LossScale * _lambda;
        ParameterGradients.Add(parameters, (1, earlier), (scale, harmfulGrad), (-scale, perturbedGrad));
        return loss;
    }

    private static Tensor HarmfulLoss(CausalLM model, TrainingBatch harmful) =>
        TokenLoss.Normalized(model, harmful);
}
