using SafeAlign.Data;

namespace SafeAlign.Evaluation.World;

/// <summary>
/// The world's alignment data: the alignment rows (harmful → refusal) together with benign how-to rows and a few
/// task rows, so the model learns to refuse by content rather than by form. Any <c>IAlignmentDefense</c> trains on it;
/// its default options (LoRA r 8, α 16, lr 2e-3, 2 epochs, batch 32) are the world's recipe.
/// </summary>
public static class WorldAlignment
{
    /// <summary>
    /// Task rows per task trained alongside the alignment set (150 from world v6; with 100, aligning cost one v6 base
    /// model 7.3 points of FA, mostly GSM8K: docs/world.md).
    /// </summary>
    public const int TaskRowsPerTask = 150;

    /// <summary>
    /// The world's alignment data: every alignment row (low-quality ones included, as a real set has them), the benign
    /// how-to rows, <see cref="TaskRowsPerTask"/> rows per task, the alignment prompts' compliance pairs as harmful data, and
    /// the world's held-out refusal rows as the validation set of bilevel selectors.
    /// </summary>
    /// <param name="world">The world.</param>
    /// <param name="alignment">The alignment rows to use instead of all of them (e.g. the subset a selector kept).</param>
    /// <param name="taskRowsPerTask">Task rows per task (default <see cref="TaskRowsPerTask"/>), at most the task's training split.</param>
    /// <param name="benignRows">The first this many benign rows instead of all of them (a shorter alignment on the same
    /// world, so on the same cached base model); null for all.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="taskRowsPerTask"/> or <paramref name="benignRows"/> is negative.</exception>
    public static AlignmentData Data(SafetyWorld world, IReadOnlyList<SafetyExample>? alignment = null, int taskRowsPerTask = TaskRowsPerTask,
        int? benignRows = null)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentOutOfRangeException.ThrowIfNegative(taskRowsPerTask);
        if (benignRows is int rows)
            ArgumentOutOfRangeException.ThrowIfNegative(rows, nameof(benignRows));
        return new AlignmentData
        {
            Safety = alignment ?? world.Alignment.Select(a => a.Example).ToList(),
            Benign = world.AlignmentBenign.Take(benignRows ?? int.MaxValue).Select(b => new SafetyExample(b.Prompt, b.Response, [], true)).ToList(),
            Utility = SafetyWorld.Tasks.SelectMany(t => world.TaskTrain[t].Take(taskRowsPerTask)).ToList(),
            Harmful = world.AlignmentHarmful,
            Validation = world.AlignmentValidation,
        };
    }
}
