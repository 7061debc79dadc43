using SafeAlign.Data;
using SafeAlign.Defenses;
using SafeAlign.Evaluation;
using SafeAlign.Pruning;
using SafeAlign.Scoring;
using SafeAlign.Selection;

namespace SafeAlign.Pipeline;

/// <summary>
/// The stage implementations one <see cref="SafetyPipeline"/> runs; a null stage is skipped. Built from the DI
/// registrations by name (<c>AddSafeAlign</c> and <see cref="SafetyPipelineOptions"/>), or directly in code and tests.
/// </summary>
public sealed class SafetyPipelineStages
{
    /// <summary>Chooses the alignment rows; all rows are used when null.</summary>
    public IAlignmentDataSelector? Selector { get; init; }

    /// <summary>Aligns the base model; the base model is fine-tuned unaligned when null.</summary>
    public IAlignmentDefense? Defense { get; init; }

    /// <summary>Masks the riskiest tokens of the user's data; the data is used as given when null.</summary>
    public ITokenRiskScorer? Scorer { get; init; }

    /// <summary>A fine-tuning-stage defense (e.g. Lisa), created from the alignment data the run aligned on; none when null.</summary>
    public FinetuningDefenseStage? Finetuning { get; init; }

    /// <summary>Repairs the fine-tuned model; nothing is pruned when null.</summary>
    public IPostFinetunePruner? Pruner { get; init; }
}

/// <summary>A fine-tuning-stage defense by name, created per run because it needs the run's (selected) alignment data.</summary>
/// <param name="Name">The name it is recorded under (e.g. "lisa").</param>
/// <param name="Create">Creates the defense from the alignment data the run aligned on.</param>
public sealed record FinetuningDefenseStage(string Name, Func<AlignmentData, IFinetuningDefense> Create);
