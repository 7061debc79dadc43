using SafeAlign.Models;
using SafeAlign.Tokenization;
using SafeAlign.Training;

namespace SafeAlign.Evaluation;

/// <summary>
/// A fine-tuning-stage defense (Lisa): in the fine-tuning-as-a-service threat model the provider runs the user's
/// fine-tuning job, so it may change that job's training step, e.g. to interleave alignment data. The attack
/// (<see cref="HarmfulFinetuneAttack"/>) asks it for the step once the user's adapter is attached.
/// </summary>
public interface IFinetuningDefense
{
    /// <summary>The name the defense is registered under (e.g. "lisa").</summary>
    string Name { get; }

    /// <summary>Creates the step the fine-tuning job trains with; disposed after the job if disposable.</summary>
    /// <param name="job">The job being guarded.</param>
    ITrainingStep CreateStep(FinetuningJob job);
}

/// <summary>What a fine-tuning-stage defense knows about the job it guards.</summary>
/// <param name="Model">The model, with the user's fresh adapter attached (its trainable parameters).</param>
/// <param name="Tokenizer">The model's tokenizer.</param>
/// <param name="Trainer">The job's trainer settings (batch size, lengths, pad id, seed).</param>
/// <param name="TotalSteps">Optimizer steps the job will take.</param>
/// <param name="MaxLength">Longest tokenized example of the job.</param>
public sealed record FinetuningJob(CausalLM Model, HfTokenizer Tokenizer, TrainerOptions Trainer, int TotalSteps, int MaxLength);
