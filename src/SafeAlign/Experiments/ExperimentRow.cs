using SafeAlign.Evaluation;
using SafeAlign.Scoring;

namespace SafeAlign.Experiments;

/// <summary>One cell of an experiment grid and what was measured.</summary>
/// <param name="Seed">World seed.</param>
/// <param name="Selector">Selector name ("none" for the whole alignment set).</param>
/// <param name="Defense">Defense name ("none" for no alignment).</param>
/// <param name="Finetuning">Fine-tuning-stage defense name (e.g. "lisa").</param>
/// <param name="Scorer">Token risk scorer name.</param>
/// <param name="Pruner">Pruner name.</param>
/// <param name="HarmfulRatio">The attack's harmful ratio p.</param>
/// <param name="AlignmentRows">Alignment rows trained on (after selection).</param>
/// <param name="AlignedHarmfulScore">HS of the aligned model before the attack.</param>
/// <param name="HarmfulScore">HS after the attack (and pruning).</param>
/// <param name="OverRefusal">Refusals of held-out benign prompts after the attack (and pruning).</param>
/// <param name="FinetuneAccuracy">Accuracy on the attack's task after the attack (and pruning).</param>
/// <param name="SelectionSeconds">Wall time of the selection.</param>
/// <param name="AlignmentSeconds">Wall time of the alignment.</param>
/// <param name="FinetuneSeconds">Wall time of scoring plus the attack's fine-tuning.</param>
/// <param name="PruningSeconds">Wall time of the pruning.</param>
/// <param name="AlignmentPeakBytes">Peak resident memory during the alignment (on Linux the process's high-water mark is reset before each alignment; elsewhere the process's peak so far).</param>
public sealed record ExperimentRow(
    long Seed, string Selector, string Defense, string Finetuning, string Scorer, string Pruner, double HarmfulRatio, int AlignmentRows,
    RateEstimate AlignedHarmfulScore, RateEstimate HarmfulScore, RateEstimate OverRefusal, RateEstimate FinetuneAccuracy,
    double SelectionSeconds, double AlignmentSeconds, double FinetuneSeconds, double PruningSeconds, long AlignmentPeakBytes)
{
    /// <summary>
    /// How the scorer's token mask hits the world's harmful user samples (precision and recall against ground truth);
    /// null when no scorer ran or it made no mask.
    /// </summary>
    public TokenMaskQuality? Mask { get; init; }

    /// <summary>
    /// ROC AUC of the selector's scores against the world's row-quality labels (a clean row scoring above a defective one;
    /// <see cref="SafeAlign.Evaluation.World.AlignmentDefectRanking"/>); null when no selector ran.
    /// </summary>
    public double? DefectAuc { get; init; }

    /// <summary>The configuration without the seed, for grouping rows across seeds.</summary>
    public string Configuration => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Selector}/{Defense}/{Finetuning}/{Scorer}/{Pruner}/p={HarmfulRatio:G3}");
}
