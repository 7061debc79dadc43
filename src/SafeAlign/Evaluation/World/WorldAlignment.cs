using Microsoft.Extensions.Logging;
using SafeAlign.Data;
using SafeAlign.Defenses;
using SafeAlign.Models;
using SafeAlign.Tokenization;
using SafeAlign.Training;

namespace SafeAlign.Evaluation.World;

/// <summary>
/// The world's alignment recipe (the SFT baseline every defense is compared with): a LoRA trained on the
/// alignment rows (harmful → refusal) together with benign how-to rows and a few task rows, so the model learns to
/// refuse by content rather than by form, then merged into the base weights.
/// </summary>
public static class WorldAlignment
{
    /// <summary>Task rows per task trained alongside the alignment set.</summary>
    public const int TaskRowsPerTask = 100;

    /// <summary>
    /// The world's alignment data: every alignment row (low-quality ones included, as a real set has them), the benign
    /// how-to rows, <see cref="TaskRowsPerTask"/> rows per task, and the alignment prompts' compliance pairs as harmful data.
    /// </summary>
    /// <param name="world">The world.</param>
    /// <param name="alignment">The alignment rows to use instead of all of them (e.g. the subset a selector kept).</param>
    public static AlignmentData Data(SafetyWorld world, IReadOnlyList<SafetyExample>? alignment = null)
    {
        ArgumentNullException.ThrowIfNull(world);
        return new AlignmentData
        {
            Safety = alignment ?? world.Alignment.Select(a => a.Example).ToList(),
            Benign = world.AlignmentBenign.Select(b => new SafetyExample(b.Prompt, b.Response, [], true)).ToList(),
            Utility = SafetyWorld.Tasks.SelectMany(t => world.TaskTrain[t].Take(TaskRowsPerTask)).ToList(),
            Harmful = world.AlignmentHarmful,
        };
    }

    /// <summary>The world's alignment settings for <paramref name="seed"/>: the defaults of <see cref="AlignmentDefenseOptions"/>.</summary>
    /// <typeparam name="TOptions">A defense's options type.</typeparam>
    /// <param name="seed">Seed of the adapter initialisation and data order.</param>
    public static TOptions Options<TOptions>(long seed) where TOptions : AlignmentDefenseOptions, new() => new() { Seed = seed };

    /// <summary>Aligns <paramref name="model"/> with plain SFT on the world's alignment data and merges the adapter.</summary>
    /// <param name="model">The base model (no adapter attached).</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="world">The world.</param>
    /// <param name="seed">Seed of the adapter initialisation and data order.</param>
    /// <param name="loggerFactory">Creates loggers; none by default.</param>
    /// <param name="progress">Receives training progress.</param>
    /// <param name="cancellationToken">Stops training between steps.</param>
    public static async Task<AlignmentResult> AlignAsync(CausalLM model, HfTokenizer tokenizer, SafetyWorld world, long seed, ILoggerFactory? loggerFactory = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var result = await new SftDefense(Options<SftOptions>(seed), loggerFactory)
            .AlignAsync(new AlignmentRequest(model, tokenizer, Data(world)), progress, cancellationToken).ConfigureAwait(false);
        model.MergeAndDetachLora();
        return result;
    }
}
