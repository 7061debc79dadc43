using Microsoft.Extensions.Logging;
using SafeAlign.Training;

namespace SafeAlign.Defenses.Vaccine;

/// <summary>
/// Vaccine (Huang, Hu, Liu; arXiv 2402.01109, NeurIPS 2024): perturbation-aware alignment. The adapter is trained
/// under the worst-case shift of norm ρ added to every layer's attention output, so that the harmful embedding drift
/// a later fine-tune causes does less damage: <c>min_w max_{‖ε‖≤ρ} L(f_{w,ε})</c>, the inner max in closed form.
/// Costs two forward and two backward passes per step. Choices and defaults: docs/defenses.md#vaccine.
/// </summary>
public sealed class VaccineDefense : TrainedAlignmentDefense<VaccineOptions>
{
    /// <summary>The name Vaccine is registered under.</summary>
    public const string DefenseName = "vaccine";

    /// <summary>Creates the defense.</summary>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="loggerFactory">Creates loggers; none by default.</param>
    public VaccineDefense(VaccineOptions? options = null, ILoggerFactory? loggerFactory = null) : base(options ?? new VaccineOptions(), loggerFactory)
    {
    }

    /// <inheritdoc />
    public override string Name => DefenseName;

    /// <inheritdoc />
    protected override ITrainingStep CreateStep(AlignmentRequest request) => new VaccineStep(Options.Rho);
}
