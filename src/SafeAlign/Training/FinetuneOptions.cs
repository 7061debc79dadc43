namespace SafeAlign.Training;

/// <summary>
/// The recipe of a user fine-tuning job (a fresh LoRA on the aligned model), with the papers' knobs. Defaults are
/// scaled to the embedded world (see docs/world.md); the papers use lr 1e-5 to 1e-4 on 7B models.
/// </summary>
public class FinetuneOptions
{
    /// <summary>Fresh LoRA rank (default 8).</summary>
    public int LoraRank { get; set; } = 8;

    /// <summary>Fresh LoRA alpha (default 16).</summary>
    public double LoraAlpha { get; set; } = 16;

    /// <summary>
    /// Learning rate (default 2.5e-4, calibrated on the embedded world v6 and its 3-layer base model so that a harmful ratio
    /// of 0.1 raises HS without saturating it; see docs/world.md).
    /// </summary>
    public double LearningRate { get; set; } = 2.5e-4;

    /// <summary>Epochs (default 1).</summary>
    public int Epochs { get; set; } = 1;

    /// <summary>Learning-rate schedule (default constant, as the Lisa and Booster references use).</summary>
    public LrSchedule Schedule { get; set; } = LrSchedule.Constant;

    /// <summary>Share of steps spent warming the learning rate up linearly (default 0).</summary>
    public double WarmupRatio { get; set; }

    /// <summary>AdamW weight decay (default 0).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Batch size (default 32).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Longest sequence (default 128).</summary>
    public int MaxLength { get; set; } = 128;

    /// <summary>
    /// How the job reduces token losses (default token mean over each batch's labelled tokens). TOSS's selective
    /// fine-tuning, and SEAL's standard-SFT baseline it is compared against, use <see cref="TokenLossNormalization.SampleMean"/>;
    /// a sample whose tokens were all masked then contributes nothing.
    /// </summary>
    public TokenLossNormalization LossNormalization { get; set; } = TokenLossNormalization.TokenMean;

    /// <summary>
    /// Forward passes per batch, formed by prompt template and length (<see cref="TrainerOptions.LengthSortedSplits"/>;
    /// default 2): the same gradient with less padding, for the supervised step (other steps take the batch whole).
    /// </summary>
    public int LengthSortedSplits { get; set; } = 2;

    /// <summary>
    /// Compute the prompt prefix the rows of a pass share (the template's header) once (<see cref="TrainerOptions.ShareCommonPrefix"/>;
    /// default true): the same gradient for less work, for the supervised step.
    /// </summary>
    public bool ShareCommonPrefix { get; set; } = true;

    /// <summary>Seed of the data mix, the LoRA init and the data order.</summary>
    public long Seed { get; set; } = 43;

    /// <summary>Checks ranges.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public FinetuneOptions Validate()
    {
        string name = GetType().Name;
        if (LoraRank < 1)
            throw new ArgumentException($"{name}.LoraRank is {LoraRank}; expected at least 1.");
        if (!(LoraAlpha > 0))
            throw new ArgumentException($"{name}.LoraAlpha is {LoraAlpha}; expected a positive value.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentException($"{name}.LearningRate is {LearningRate}; expected a positive value.");
        if (Epochs < 1)
            throw new ArgumentException($"{name}.Epochs is {Epochs}; expected at least 1.");
        if (!(WarmupRatio >= 0 && WarmupRatio < 1))
            throw new ArgumentException($"{name}.WarmupRatio is {WarmupRatio}; expected a value in [0, 1).");
        if (!(WeightDecay >= 0))
            throw new ArgumentException($"{name}.WeightDecay is {WeightDecay}; expected a non-negative value.");
        if (BatchSize < 1)
            throw new ArgumentException($"{name}.BatchSize is {BatchSize}; expected at least 1.");
        if (MaxLength < 2)
            throw new ArgumentException($"{name}.MaxLength is {MaxLength}; expected at least 2.");
        if (LengthSortedSplits < 1)
            throw new ArgumentException($"{name}.LengthSortedSplits is {LengthSortedSplits}; expected at least 1.");
        if (!Enum.IsDefined(Schedule))
            throw new ArgumentException($"{name}.Schedule is {Schedule}; expected a defined LrSchedule.");
        if (!Enum.IsDefined(LossNormalization))
            throw new ArgumentException($"{name}.LossNormalization is {LossNormalization}; expected TokenMean or SampleMean.");
        return this;
    }
}
