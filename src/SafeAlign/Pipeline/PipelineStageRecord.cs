namespace SafeAlign.Pipeline;

/// <summary>A finished stage of a <see cref="SafetyPipeline"/> run, as the run summary records it.</summary>
/// <param name="Stage">Which stage.</param>
/// <param name="Implementation">The implementation's name (e.g. "pharmacist"), or "none" when the stage was skipped.</param>
/// <param name="Key">
/// What the stage's output depends on (its and every earlier stage's implementation, the data and the recipe); a resumed
/// run reuses the stage only when the key is unchanged.
/// </param>
/// <param name="Seconds">Wall time of the stage when it ran (a reused stage keeps its original time).</param>
/// <param name="Reused">Whether this run restored the stage from the folder instead of running it.</param>
/// <param name="Details">Figures the stage reports (rows kept, tokens masked, weights pruned, …), by name.</param>
public sealed record PipelineStageRecord(PipelineStage Stage, string Implementation, string Key, double Seconds, bool Reused, IReadOnlyDictionary<string, double> Details);
