using SafeAlign.Models;
using SafeAlign.Tokenization;
using static TorchSharp.torch;

namespace SafeAlign.Training;

/// <summary>
/// Single-label classification on a sequence classifier's <c>score</c> head: cross-entropy of the label scores
/// read at each row's last real token (<see cref="CausalLM.SequenceLogits"/>), averaged over the batch.
/// The class of an example travels in its labels: every position is <see cref="TokenizedExample.IgnoreIndex"/>
/// except the last, which holds the class id (<see cref="Example"/> builds such examples), so the examples,
/// batching and loop are the <see cref="Trainer"/>'s own.
/// </summary>
public sealed class SequenceClassificationStep : ITrainingStep
{
    /// <summary>The shared instance (the step holds no state).</summary>
    public static readonly SequenceClassificationStep Instance = new();

    /// <summary>An example of class <paramref name="label"/> for <see cref="Step"/>: the ids, and the label on the last position.</summary>
    /// <exception cref="ArgumentException">The ids are empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The label is negative.</exception>
    public static TokenizedExample Example(int[] inputIds, int label)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentOutOfRangeException.ThrowIfNegative(label);
        var labels = new int[inputIds.Length];
        Array.Fill(labels, TokenizedExample.IgnoreIndex);
        if (labels.Length > 0)
            labels[^1] = label;
        return new TokenizedExample(inputIds, labels);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The model has no classification head.</exception>
    public Tensor Step(CausalLM model, TrainingBatch batch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        var scores = model.SequenceLogits(batch.InputIds, batch.AttentionMask).to(float32); // (B, labels)
        // Classes are ≥ 0 and every other label is -100, so the row maximum is the class (or -100, ignored, when truncation cut it).
        var target = batch.Labels.max(-1).values.to(scores.device);                          // (B,)
        var loss = nn.functional.cross_entropy(scores, target, ignore_index: TokenizedExample.IgnoreIndex);
        (loss * context.LossScale).backward();
        return loss.detach();
    }
}
