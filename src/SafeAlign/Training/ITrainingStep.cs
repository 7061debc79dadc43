using SafeAlign.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafeAlign.Training;

/// <summary>
/// What the <see cref="Trainer"/> does with one micro-batch: forward and backward pass(es) leaving gradients
/// on the trainable parameters. Defenses implement it to add passes, perturbations or loss terms; the loop,
/// optimizer, schedule, clipping, accumulation and checkpoints stay in the trainer.
/// </summary>
public interface ITrainingStep
{
    /// <summary>
    /// Runs the step and returns the loss to report (a detached scalar). Multiply the loss by
    /// <see cref="StepContext.LossScale"/> before <c>backward()</c> so accumulated gradients average.
    /// </summary>
    Tensor Step(CausalLM model, TrainingBatch batch, StepContext context);

    /// <summary>
    /// Parameters the coming optimizer step must leave exactly as they are: the trainer drops their gradients before
    /// clipping, and AdamW skips a parameter without a gradient (no update, no momentum, no weight decay), as PyTorch
    /// does for a parameter with <c>requires_grad=False</c>. Asked once per optimizer step, after its last micro-batch.
    /// Default: none. T-Vaccine freezes the layers outside its sampled set this way.
    /// </summary>
    IEnumerable<Parameter> FrozenParameters() => [];

    /// <summary>
    /// Whether the step's loss is the supervised loss of its batch and nothing else, a sum over rows that
    /// <see cref="TokenLoss.Normalized(CausalLM, TrainingBatch, TokenLossNormalization)"/> computes, so that the trainer
    /// may run a micro-batch as several passes (<see cref="TrainerOptions.LengthSortedSplits"/>) and compute a shared
    /// prefix once (<see cref="TrainerOptions.ShareCommonPrefix"/>) with the same gradient. Default false: a step that
    /// computes anything from the batch as a whole (Vaccine's batch-wide norm, RepNoise's MMD) or fetches batches of
    /// its own (Lisa) gets each micro-batch in one pass.
    /// </summary>
    bool Separable => false;
}

/// <summary>What a step needs to know about where the loop is.</summary>
/// <param name="Step">Optimizer steps completed so far.</param>
/// <param name="MicroStep">Index of this micro-batch within the accumulation window.</param>
/// <param name="LossScale">1 / gradient-accumulation steps.</param>
public readonly record struct StepContext(int Step, int MicroStep, double LossScale)
{
    /// <summary>How a supervised loss reduces its per-token losses (the trainer's <see cref="TrainerOptions.LossNormalization"/>).</summary>
    public TokenLossNormalization Normalization { get; init; }
}

/// <summary>
/// Plain supervised fine-tuning: the loss over the labelled (response) tokens, reduced as
/// <see cref="StepContext.Normalization"/> says (token mean by default).
/// </summary>
public sealed class SupervisedStep : ITrainingStep
{
    /// <summary>The shared instance (the step holds no state).</summary>
    public static readonly SupervisedStep Instance = new();

    /// <inheritdoc />
    public bool Separable => true;

    /// <inheritdoc />
    public Tensor Step(CausalLM model, TrainingBatch batch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        var loss = TokenLoss.Normalized(model, batch, context.Normalization);
        (loss * context.LossScale).backward();
        return loss.detach();
    }
}
