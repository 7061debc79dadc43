using SafeAlign.Data;
using SafeAlign.Evaluation;
using SafeAlign.Training;

namespace SafeAlign.Defenses.Lisa;

/// <summary>
/// Lisa, lazy safety alignment (Huang et al., arXiv 2405.18641): a fine-tuning-stage defense. The provider interleaves
/// alignment steps into the user's fine-tuning job and adds a proximal term towards the weights at the last switch
/// (<see cref="LisaStep"/>). Run it through <see cref="HarmfulFinetuneAttack"/>'s <c>Run</c> overload that takes an
/// <see cref="IFinetuningDefense"/>. The alignment batches are every supervised row of the given
/// <see cref="SafeAlign.Data.AlignmentData"/> (the rows the aligned model was trained on), with the job's batch size, length and seed.
/// See docs/defenses.md#lisa.
/// </summary>
public sealed class LisaDefense : IFinetuningDefense
{
    /// <summary>The name Lisa is registered under.</summary>
    public const string DefenseName = "lisa";

    private readonly LisaOptions _options;
    private readonly AlignmentData _alignment;

    /// <summary>Creates the defense.</summary>
    /// <param name="alignment">The alignment data interleaved into the job.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <exception cref="ArgumentException">The data or an option is invalid.</exception>
    public LisaDefense(AlignmentData alignment, LisaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(alignment);
        _alignment = alignment.Validate();
        _options = (options ?? new LisaOptions()).Validate();
    }

    /// <inheritdoc />
    public string Name => DefenseName;

    /// <summary>The settings.</summary>
    public LisaOptions Options => _options;

    /// <inheritdoc />
    public ITrainingStep CreateStep(FinetuningJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var examples = InstructionExamples.Build(job.Tokenizer, job.MaxLength, _alignment.SupervisedItems());
        var batches = new CyclingBatches(examples, job.Trainer.BatchSize, job.Trainer.PadTokenId, job.Trainer.MaxLength, job.Trainer.Seed, sharePrefix: true);
        return new LisaStep(_options, batches, job.TotalSteps);
    }
}
