using SafeAlign.Models;
using SafeAlign.Training;
using static TorchSharp.torch;

namespace SafeAlign.Selection.Pharmacist;

/// <summary>What one <see cref="PharmacistStep"/> returns, in the caller's dispose scope.</summary>
/// <param name="Hypergradient">∂U(θ')/∂π_i for each sample of the batch (B), fp32.</param>
/// <param name="Alignment">⟨∇U(θ'), ∇ℓ_i(θ)⟩ for each sample (B), fp32: the gradient alignment the hypergradient scales.</param>
/// <param name="LowerLoss">F_B(θ) = (1/B)·Σ_i π_i ℓ_i(θ), detached.</param>
/// <param name="UpperLoss">U(θ'): the validation loss after the simulated harmful step, detached.</param>
public sealed record PharmacistStepResult(Tensor Hypergradient, Tensor Alignment, Tensor LowerLoss, Tensor UpperLoss);

/// <summary>
/// One step of Pharmacist's one-step bilevel approximation (reconstruction; docs/selection.md) on a batch B of alignment
/// rows with weights π_B, at the scratch adapter's weights θ:
/// <list type="number">
/// <item>lower level F_B(θ) = (1/|B|)·Σ_{i∈B} π_i ℓ_i(θ) (ℓ_i the row's token-mean response loss); backward → ∇F_B;</item>
/// <item>inner step θ' = θ − η·∇F_B (one SGD step stands in for the inner argmin);</item>
/// <item>upper level U(θ') = L_val(θ' − α·∇h(θ')/‖∇h(θ')‖), h the loss on a harmful batch, L_val on a validation batch;
/// ∇U(θ') ≈ ∇L_val at the perturbed point (first order: the harmful direction's own dependence on θ' is dropped, as
/// Booster and SAM do);</item>
/// <item>θ restored bit-exactly; hypergradient ∂U/∂π_i = −(η/|B|)·⟨∇U(θ'), ∇ℓ_i(θ)⟩, the alignments computed over the LoRA
/// parameters by the configured <see cref="GradientAlignmentStrategy"/>;</item>
/// <item>the adapter's <c>.grad</c> is left at (1 − λ)·∇F_B + λ·∇U for the caller's model step (λ = 0 unless SEAL's penalty schedule is on).</item>
/// </list>
/// Without the harmful step (the "seal" ablation) U(θ') = L_val(θ').
/// </summary>
public sealed class PharmacistStep
{
    private readonly double _eta, _alpha;
    private readonly bool _useHarmfulStep;
    private readonly GradientAlignmentStrategy _strategy;

    /// <summary>Creates the step.</summary>
    /// <param name="eta">η, the inner step size.</param>
    /// <param name="alpha">α, the length of the normalised harmful step.</param>
    /// <param name="useHarmfulStep">Whether U includes the harmful step.</param>
    /// <param name="strategy">How per-sample alignments are computed.</param>
    /// <exception cref="ArgumentOutOfRangeException">η is not positive or α is negative (or either is not finite).</exception>
    public PharmacistStep(double eta, double alpha, bool useHarmfulStep, GradientAlignmentStrategy strategy)
    {
        if (!(eta > 0 && double.IsFinite(eta)))
            throw new ArgumentOutOfRangeException(nameof(eta), $"eta is {eta}; expected a positive number.");
        if (!(alpha >= 0 && double.IsFinite(alpha)))
            throw new ArgumentOutOfRangeException(nameof(alpha), $"alpha is {alpha}; expected a finite number ≥ 0.");
        if (!Enum.IsDefined(strategy))
            throw new ArgumentOutOfRangeException(nameof(strategy), $"strategy is {strategy}; expected a defined GradientAlignmentStrategy.");
        (_eta, _alpha, _useHarmfulStep, _strategy) = (eta, alpha, useHarmfulStep, strategy);
    }

    /// <summary>Runs the step; see the class summary. The adapter's weights are unchanged afterwards, its gradients set.</summary>
    /// <param name="model">The model with the scratch adapter attached (only the adapter is trainable).</param>
    /// <param name="pool">The batch of alignment rows.</param>
    /// <param name="weights">π_i of the batch's rows (B), constant here.</param>
    /// <param name="harmful">A harmful batch (prompt → harmful answer); required when the harmful step is on.</param>
    /// <param name="validation">A validation batch (harmful prompt → refusal).</param>
    /// <param name="lambda">λ ∈ [0, 1], the share of ∇U in the model step's gradient.</param>
    /// <exception cref="ArgumentException">Shapes disagree, λ is out of range, or the harmful batch is missing.</exception>
    public PharmacistStepResult Run(CausalLM model, TrainingBatch pool, Tensor weights, TrainingBatch? harmful, TrainingBatch validation, double lambda = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(validation);
        long batchSize = pool.InputIds.shape[0];
        if (weights.dim() != 1 || weights.shape[0] != batchSize)
            throw new ArgumentException($"weights has shape [{string.Join(", ", weights.shape)}]; expected one weight per batch row ({batchSize}).", nameof(weights));
        if (_useHarmfulStep && harmful is null)
            throw new ArgumentException("The harmful step is on but no harmful batch was given.", nameof(harmful));
        if (!(lambda >= 0 && lambda <= 1))
            throw new ArgumentOutOfRangeException(nameof(lambda), $"lambda is {lambda}; expected a value in [0, 1].");

        var parameters = LoraGradientCapture.FactorWeights(model);
        if (parameters.Count == 0)
            throw new InvalidOperationException("PharmacistStep needs the scratch LoRA adapter attached to the model.");
        ParameterGradients.Materialize(parameters);
        ParameterGradients.Zero(parameters);

        // 1. Lower level at θ, recording the batch pass for the per-sample alignments.
        var w = (weights.detach().to(float32) / batchSize).to(model.Device);                                        // π_i / |B|
        using var capture = _strategy is GradientAlignmentStrategy.Ghost or GradientAlignmentStrategy.Materialized ? new LoraGradientCapture(model) : null;
        var perSample = TokenLoss.PerSample(model, pool);                                                         // (B) ℓ_i(θ)
        capture?.Stop();
        var lower = (w * perSample).sum();
        lower.backward();
        using var lowerGrad = ParameterSnapshot.OfGradients(parameters);                                           // ∇F_B(θ)
        ParameterGradients.Zero(parameters);

        Tensor upper;
        using var upperGrad = UpperGradient(model, parameters, lowerGrad, harmful, validation, out upper);        // ∇U(θ'), θ restored

        // 4. Per-sample alignments ⟨∇U(θ'), ∇ℓ_i(θ)⟩ and the hypergradient.
        var alignment = _strategy switch
        {
            GradientAlignmentStrategy.Ghost => capture!.Dot(upperGrad) / w,
            GradientAlignmentStrategy.Materialized => capture!.DotMaterialized(upperGrad) / w,
            GradientAlignmentStrategy.DoubleBackward => SampleGradientDots.DoubleBackward(model, pool, parameters, upperGrad),
            _ => SampleGradientDots.Naive(model, pool, parameters, upperGrad),
        };
        var hypergradient = alignment * (-_eta / batchSize);

        // 5. The model step's gradient.
        ParameterGradients.Add(parameters, (1 - lambda, lowerGrad), (lambda, upperGrad));
        return new PharmacistStepResult(hypergradient, alignment, lower.detach(), upper);
    }

    // θ' = θ − η∇F_B, then θ'' = θ' − α∇h(θ')/‖∇h(θ')‖ (when on), ∇L_val(θ''); θ restored exactly; gradients left zero.
    private ParameterSnapshot UpperGradient(CausalLM model, IReadOnlyList<TorchSharp.Modules.Parameter> parameters, ParameterSnapshot lowerGrad,
        TrainingBatch? harmful, TrainingBatch validation, out Tensor upperLoss)
    {
        using var theta = ParameterSnapshot.OfWeights(parameters);
        try
        {
            lowerGrad.AddScaledInto(parameters, tensor(-_eta, dtype: float32, device: model.Device));              // θ'
            if (_useHarmfulStep)
            {
                Loss(model, harmful!).backward();
                using var harmfulGrad = ParameterSnapshot.OfGradients(parameters);                                 // ∇h(θ')
                ParameterGradients.Zero(parameters);
                harmfulGrad.AddScaledInto(parameters, -_alpha / (harmfulGrad.SquaredNorm().sqrt() + 1e-7));          // θ''
            }
            var loss = Loss(model, validation);
            loss.backward();
            upperLoss = loss.detach();
            var upperGrad = ParameterSnapshot.OfGradients(parameters);
            ParameterGradients.Zero(parameters);
            return upperGrad;
        }
        finally
        {
            theta.RestoreInto(parameters);
        }
    }

    private static Tensor Loss(CausalLM model, TrainingBatch batch) =>
        TokenLoss.Normalized(model, batch);
}
