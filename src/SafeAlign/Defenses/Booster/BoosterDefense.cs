using Microsoft.Extensions.Logging;
using SafeAlign.Evaluation;
using SafeAlign.Training;

namespace SafeAlign.Defenses.Booster;

/// <summary>
/// Booster (Huang et al., arXiv 2409.01586): alignment with a regulariser that penalises how much one normalised
/// harmful-gradient step would lower the harmful loss, argmin_w f(w) + λ·(h(w) − h(w − α·∇h(w)/‖∇h(w)‖)), trained with
/// the first-order gradient of <see cref="BoosterStep"/>. f is the loss SFT trains (every supervised row of
/// <see cref="SafeAlign.Data.AlignmentData"/>), h the loss on <see cref="SafeAlign.Data.AlignmentData.Harmful"/>, drawn in seeded cycling batches.
/// See docs/defenses.md#booster.
/// </summary>
public sealed class BoosterDefense : TrainedAlignmentDefense<BoosterOptions>
{
    /// <summary>The name Booster is registered under.</summary>
    public const string DefenseName = "booster";

    private readonly ITrainingStep? _alignmentStep;

    /// <summary>Creates the defense.</summary>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="loggerFactory">Creates loggers; none by default.</param>
    /// <param name="alignmentStep">
    /// The step that computes the alignment gradient g_f (default plain SFT). Pass Vaccine's step for Booster+Vaccine
    /// (the reference's <c>perturb_aware</c>); the composition lives with the caller, since method folders do not
    /// reference one another.
    /// </param>
    public BoosterDefense(BoosterOptions? options = null, ILoggerFactory? loggerFactory = null, ITrainingStep? alignmentStep = null)
        : base(options ?? new BoosterOptions(), loggerFactory)
    {
        _alignmentStep = alignmentStep;
    }

    /// <inheritdoc />
    public override string Name => DefenseName;

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><see cref="SafeAlign.Data.AlignmentData.Harmful"/> is empty.</exception>
    protected override ITrainingStep CreateStep(AlignmentRequest request)
    {
        var harmfulRows = request.Data.Harmful;
        if (harmfulRows.Count == 0)
            throw new ArgumentException("Booster needs harmful data: AlignmentData.Harmful (harmful prompt → harmful answer) is empty.", nameof(request));
        var harmful = InstructionExamples.Build(request.Tokenizer, Options.MaxLength, harmfulRows.Select(h => (h.Prompt, (string?)null, h.Response)));
        var batches = new CyclingBatches(harmful, Options.HarmfulBatchSize ?? Options.BatchSize, request.Tokenizer.PadId ?? 0, Options.MaxLength, Options.Seed, sharePrefix: true);
        return new BoosterStep(Options.Lambda, Options.Alpha, batches, _alignmentStep);
    }
}
