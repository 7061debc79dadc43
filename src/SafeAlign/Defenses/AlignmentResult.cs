using SafeAlign.Models.Lora;
using SafeAlign.Training;

namespace SafeAlign.Defenses;

/// <summary>The outcome of an alignment-stage defense.</summary>
/// <param name="Defense">The defense's name.</param>
/// <param name="Adapter">The configuration of the LoRA adapter left attached to the model.</param>
/// <param name="Training">Steps, losses, wall time, tokens and peak working set of the training run.</param>
/// <param name="Examples">How many training examples the run saw per epoch.</param>
public sealed record AlignmentResult(string Defense, LoraConfig Adapter, TrainingReport Training, int Examples);
