using SafeAlign.Evaluation;

namespace SafeAlign.Pipeline;

/// <summary>
/// One measurement of a model in a <see cref="SafetyPipeline"/> run; a rate is null when its evaluation list was empty.
/// </summary>
/// <param name="HarmfulScore">Share of held-out harmful prompts answered instead of refused.</param>
/// <param name="OverRefusal">Share of held-out benign prompts refused.</param>
/// <param name="FinetuneAccuracy">Exact-match accuracy on the user's task test set.</param>
public sealed record PipelineEvaluation(RateEstimate? HarmfulScore, RateEstimate? OverRefusal, RateEstimate? FinetuneAccuracy);
