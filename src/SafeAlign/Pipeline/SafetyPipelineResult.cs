namespace SafeAlign.Pipeline;

/// <summary>The outcome of <see cref="SafetyPipeline.RunAsync"/>, also written to the run folder as <c>summary.json</c>.</summary>
/// <param name="RunFolder">The folder holding the artefacts.</param>
/// <param name="Stages">Every stage in order, ran or reused.</param>
/// <param name="Aligned">The aligned model's measurement, when an evaluation set was given and <see cref="SafetyPipelineOptions.EvaluateAligned"/> is on.</param>
/// <param name="Final">The final (fine-tuned, pruned) model's measurement, when an evaluation set was given.</param>
public sealed record SafetyPipelineResult(string RunFolder, IReadOnlyList<PipelineStageRecord> Stages, PipelineEvaluation? Aligned, PipelineEvaluation? Final)
{
    /// <summary>The record of <paramref name="stage"/>.</summary>
    /// <exception cref="KeyNotFoundException">The run has no record of it.</exception>
    public PipelineStageRecord this[PipelineStage stage] =>
        Stages.FirstOrDefault(s => s.Stage == stage) ?? throw new KeyNotFoundException($"The run has no record of stage {stage}.");

    /// <summary>Wall time of the stages this run executed (reused stages excluded).</summary>
    public double RanSeconds => Stages.Where(s => !s.Reused).Sum(s => s.Seconds);
}
