using Microsoft.Extensions.Logging;
using SafeAlign.Training;

namespace SafeAlign.Defenses.Sft;

/// <summary>
/// Plain supervised alignment, the baseline every paper compares against: cross-entropy on the response tokens of
/// harmful prompt → refusal rows (and of the benign and task rows trained alongside).
/// </summary>
public sealed class SftDefense : TrainedAlignmentDefense<SftOptions>
{
    /// <summary>The name SFT is registered under.</summary>
    public const string DefenseName = "sft";

    /// <summary>Creates the defense.</summary>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="loggerFactory">Creates loggers; none by default.</param>
    public SftDefense(SftOptions? options = null, ILoggerFactory? loggerFactory = null) : base(options ?? new SftOptions(), loggerFactory)
    {
    }

    /// <inheritdoc />
    public override string Name => DefenseName;

    /// <inheritdoc />
    protected override ITrainingStep CreateStep(AlignmentRequest request) => SupervisedStep.Instance;
}
