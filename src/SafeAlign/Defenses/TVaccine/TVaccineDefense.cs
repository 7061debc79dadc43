using Microsoft.Extensions.Logging;
using SafeAlign.Evaluation;
using SafeAlign.Training;

namespace SafeAlign.Defenses.TVaccine;

/// <summary>
/// T-Vaccine (Liu et al., arXiv 2410.09760): Vaccine restricted to γ layers sampled with probability proportional to
/// the gradient norm a harmful example leaves at each layer's attention output; only those layers are perturbed and
/// only their attention adapters train (the reference code keeps every MLP adapter training, see
/// <see cref="TVaccineOptions.TrainAllMlpAdapters"/>). Needs <see cref="SafeAlign.Data.AlignmentData.Harmful"/> for the probe.
/// Choices and defaults: docs/defenses.md#t-vaccine.
/// </summary>
public sealed class TVaccineDefense : TrainedAlignmentDefense<TVaccineOptions>
{
    /// <summary>The name T-Vaccine is registered under.</summary>
    public const string DefenseName = "t-vaccine";

    /// <summary>Creates the defense.</summary>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="loggerFactory">Creates loggers; none by default.</param>
    public TVaccineDefense(TVaccineOptions? options = null, ILoggerFactory? loggerFactory = null) : base(options ?? new TVaccineOptions(), loggerFactory)
    {
    }

    /// <inheritdoc />
    public override string Name => DefenseName;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The data has no harmful rows, or γ exceeds the model's depth.</exception>
    protected override ITrainingStep CreateStep(AlignmentRequest request)
    {
        if (request.Data.Harmful.Count == 0)
            throw new ArgumentException("T-Vaccine probes layers with harmful prompt → harmful answer rows; AlignmentData.Harmful is empty.");
        var pool = InstructionExamples.Build(request.Tokenizer, Options.MaxLength,
            request.Data.Harmful.Take(Options.ProbePoolSize).Select(h => (h.Prompt, (string?)null, h.Response)));
        return new TVaccineStep(request.Model, Options, pool, request.Tokenizer.PadId ?? 0, LoggerFactory.CreateLogger<TVaccineStep>());
    }
}
