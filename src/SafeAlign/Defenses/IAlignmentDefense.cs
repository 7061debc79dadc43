using SafeAlign.Training;

namespace SafeAlign.Defenses;

/// <summary>
/// An alignment-stage defense: trains a LoRA on the model so that it refuses harmful requests, in a way that (for the
/// defenses proper) resists later harmful fine-tuning. The adapter is left attached to <see cref="AlignmentRequest.Model"/>;
/// the caller merges it (<c>CausalLM.MergeAndDetachLora</c>), saves it in PEFT format, or drops it.
/// </summary>
public interface IAlignmentDefense
{
    /// <summary>The name the defense is registered under (e.g. "sft", "vaccine").</summary>
    string Name { get; }

    /// <summary>Aligns the model.</summary>
    /// <param name="request">Model, tokenizer and data.</param>
    /// <param name="progress">Receives training progress.</param>
    /// <param name="cancellationToken">Stops training between steps.</param>
    /// <returns>What was trained and what it cost.</returns>
    Task<AlignmentResult> AlignAsync(AlignmentRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default);
}
