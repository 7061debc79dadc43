using SafeAlign.Models;
using SafeAlign.Native;

namespace SafeAlign.Training;

/// <summary>Learning-rate schedule after warm-up.</summary>
public enum LrSchedule
{
    /// <summary>Hold the peak rate.</summary>
    Constant,

    /// <summary>Cosine decay from the peak rate to 0 at the last step.</summary>
    Cosine,

    /// <summary>Linear decay from the peak rate to 0 at the last step.</summary>
    Linear,
}

/// <summary>Trainer settings; defaults follow HF <c>TrainingArguments</c> where the references use them.</summary>
public sealed class TrainerOptions
{
    /// <summary>Peak learning rate (default 1e-4).</summary>
    public double LearningRate { get; set; } = 1e-4;

    /// <summary>AdamW β₁ (default 0.9).</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>AdamW β₂ (default 0.999).</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>AdamW ε (default 1e-8).</summary>
    public double Epsilon { get; set; } = 1e-8;

    /// <summary>Decoupled weight decay (default 0).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Schedule after warm-up (default constant).</summary>
    public LrSchedule Schedule { get; set; } = LrSchedule.Constant;

    /// <summary>Share of all optimizer steps spent warming up linearly from 0 (default 0).</summary>
    public double WarmupRatio { get; set; }

    /// <summary>Passes over the data (default 1).</summary>
    public int Epochs { get; set; } = 1;

    /// <summary>Stop after this many optimizer steps; null (default) runs all epochs.</summary>
    public int? MaxSteps { get; set; }

    /// <summary>Examples per micro-batch (default 8).</summary>
    public int BatchSize { get; set; } = 8;

    /// <summary>Micro-batches per optimizer step (default 1).</summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>
    /// Splits each micro-batch, sorted by length, into this many forward passes, each padded only to its own longest
    /// sequence, cut where the passes compute the fewest positions (padding and, with <see cref="ShareCommonPrefix"/>,
    /// shared prefixes counted), and weighs their losses by their share of the micro-batch's labelled tokens (samples,
    /// under <see cref="TokenLossNormalization.SampleMean"/>): the gradient is the whole micro-batch's, with less padding
    /// (default 1, no split). Applies to <see cref="ITrainingStep.Separable"/> steps (the supervised step); others get
    /// the micro-batch in one pass.
    /// </summary>
    public int LengthSortedSplits { get; set; } = 1;

    /// <summary>
    /// Computes the prompt prefix the rows of a forward pass share (a template's header) once per pass
    /// (<see cref="CausalLM.HiddenStatesSharingPrefix"/>); with <see cref="LengthSortedSplits"/>, the parts are formed by
    /// template first, then length, so that they share long prefixes. Same gradient, less work (default false). Applies
    /// to <see cref="ITrainingStep.Separable"/> steps; a LoRA dropout mask on the prefix is shared by its rows.
    /// </summary>
    public bool ShareCommonPrefix { get; set; }

    /// <summary>Clip the global gradient norm to this; 0 disables (default 1).</summary>
    public double MaxGradNorm { get; set; } = 1;

    /// <summary>Truncate sequences to this many tokens; null keeps them whole.</summary>
    public int? MaxLength { get; set; }

    /// <summary>
    /// How the supervised step reduces a micro-batch's token losses (default <see cref="TokenLossNormalization.TokenMean"/>);
    /// steps that compute their own loss terms may ignore it.
    /// </summary>
    public TokenLossNormalization LossNormalization { get; set; } = TokenLossNormalization.TokenMean;

    /// <summary>Pad id for collation (default 0).</summary>
    public int PadTokenId { get; set; }

    /// <summary>Seed of the data order (and of the torch RNG, for dropout).</summary>
    public long Seed { get; set; } = 42;

    /// <summary>Shuffle the data each epoch (default true).</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>Report progress and log every this many optimizer steps (default 10).</summary>
    public int LogEvery { get; set; } = 10;

    /// <summary>Folder for the checkpoint; null (default) saves none.</summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Save a checkpoint every this many optimizer steps (with <see cref="CheckpointDirectory"/>); 0 only at the end.</summary>
    public int CheckpointEvery { get; set; }

    /// <summary>A checkpoint folder to resume from; null (default) starts fresh.</summary>
    public string? ResumeFrom { get; set; }

    /// <summary>Checks ranges.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public TrainerOptions Validate()
    {
        void Require(bool ok, string message)
        {
            if (!ok)
                throw new ArgumentException("TrainerOptions." + message);
        }
        Require(LearningRate > 0 && double.IsFinite(LearningRate), $"LearningRate is {LearningRate}; expected a positive number.");
        Require(Beta1 is >= 0 and < 1 && Beta2 is >= 0 and < 1, $"Beta1/Beta2 are {Beta1}/{Beta2}; expected values in [0, 1).");
        Require(Epsilon > 0, $"Epsilon is {Epsilon}; expected a positive number.");
        Require(WeightDecay >= 0, $"WeightDecay is {WeightDecay}; expected at least 0.");
        Require(WarmupRatio is >= 0 and < 1, $"WarmupRatio is {WarmupRatio}; expected a value in [0, 1).");
        Require(Epochs >= 1, $"Epochs is {Epochs}; expected at least 1.");
        Require(MaxSteps is null or >= 1, $"MaxSteps is {MaxSteps}; expected at least 1.");
        Require(BatchSize >= 1, $"BatchSize is {BatchSize}; expected at least 1.");
        Require(GradientAccumulationSteps >= 1, $"GradientAccumulationSteps is {GradientAccumulationSteps}; expected at least 1.");
        Require(LengthSortedSplits >= 1, $"LengthSortedSplits is {LengthSortedSplits}; expected at least 1.");
        Require(MaxGradNorm >= 0, $"MaxGradNorm is {MaxGradNorm}; expected at least 0.");
        Require(MaxLength is null or >= 2, $"MaxLength is {MaxLength}; expected at least 2.");
        Require(Enum.IsDefined(LossNormalization), $"LossNormalization is {LossNormalization}; expected TokenMean or SampleMean.");
        Require(LogEvery >= 1, $"LogEvery is {LogEvery}; expected at least 1.");
        Require(CheckpointEvery >= 0, $"CheckpointEvery is {CheckpointEvery}; expected at least 0.");
        return this;
    }
}
