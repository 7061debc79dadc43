namespace SafeAlign.Pipeline;

/// <summary>A progress report from <see cref="SafetyPipeline.RunAsync"/>.</summary>
/// <param name="Stage">The stage running.</param>
/// <param name="Message">What it is doing, for a log line or a status display.</param>
/// <param name="Step">Training step reached within the stage, when it trains; otherwise null.</param>
/// <param name="TotalSteps">Training steps the stage will run, when known; otherwise null.</param>
public sealed record PipelineProgress(PipelineStage Stage, string Message, int? Step = null, int? TotalSteps = null);
