using SafeAlign.Data;

namespace SafeAlign.Pipeline;

/// <summary>
/// What a <see cref="SafetyPipeline"/> measures the aligned and final models on: held-out harmful prompts (harmful score),
/// held-out benign prompts (over-refusal) and the user's task test set (fine-tune accuracy). Any list may be empty to
/// skip that measurement.
/// </summary>
/// <param name="HarmfulPrompts">Harmful prompts disjoint from every training set.</param>
/// <param name="BenignPrompts">Benign prompts a safe model should still answer.</param>
/// <param name="TaskTest">Test examples of the user's fine-tuning task, with gold answers.</param>
public sealed record PipelineEvaluationSet(IReadOnlyList<string> HarmfulPrompts, IReadOnlyList<string> BenignPrompts, IReadOnlyList<TaskExample> TaskTest)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first null or empty entry.</summary>
    /// <returns>This instance.</returns>
    public PipelineEvaluationSet Validate()
    {
        if (HarmfulPrompts is null || BenignPrompts is null || TaskTest is null)
            throw new ArgumentException("PipelineEvaluationSet: HarmfulPrompts, BenignPrompts and TaskTest must not be null (use an empty list to skip one).");
        for (int i = 0; i < HarmfulPrompts.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(HarmfulPrompts[i]))
                throw new ArgumentException($"PipelineEvaluationSet.HarmfulPrompts[{i}] is empty.");
        }
        for (int i = 0; i < BenignPrompts.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(BenignPrompts[i]))
                throw new ArgumentException($"PipelineEvaluationSet.BenignPrompts[{i}] is empty.");
        }
        for (int i = 0; i < TaskTest.Count; i++)
        {
            if (TaskTest[i] is null)
                throw new ArgumentException($"PipelineEvaluationSet.TaskTest[{i}] is null.");
        }
        return this;
    }
}
