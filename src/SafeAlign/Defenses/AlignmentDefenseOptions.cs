using SafeAlign.Models.Lora;
using SafeAlign.Training;

namespace SafeAlign.Defenses;

/// <summary>
/// Settings every trained alignment defense shares: the LoRA it trains and the optimiser run. Defaults are scaled to the
/// embedded world (LoRA r 8, α 16 on all seven projections, AdamW lr 2e-3, 2 epochs, batch 32); the papers align
/// 7B models with lr 1e-3 (5e-4 for Booster) for 20–50 epochs at batch 5–10 (see docs/defenses.md).
/// </summary>
public class AlignmentDefenseOptions
{
    /// <summary>LoRA rank (default 8).</summary>
    public int LoraRank { get; set; } = 8;

    /// <summary>LoRA alpha (default 16).</summary>
    public double LoraAlpha { get; set; } = 16;

    /// <summary>Projections that get an adapter (default all seven: q, k, v, o, gate, up, down).</summary>
    public IList<string> TargetModules { get; set; } = [.. LoraConfig.AllProjections];

    /// <summary>Peak learning rate (default 2e-3).</summary>
    public double LearningRate { get; set; } = 2e-3;

    /// <summary>Epochs over the alignment data (default 2).</summary>
    public int Epochs { get; set; } = 2;

    /// <summary>Examples per step (default 32).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Longest tokenized example; longer ones are cut (default 128).</summary>
    public int MaxLength { get; set; } = 128;

    /// <summary>Learning-rate schedule (default constant).</summary>
    public LrSchedule Schedule { get; set; } = LrSchedule.Constant;

    /// <summary>Share of steps spent warming up (default 0).</summary>
    public double WarmupRatio { get; set; }

    /// <summary>AdamW weight decay (default 0).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Gradient-norm clip (default 1; 0 turns it off).</summary>
    public double MaxGradNorm { get; set; } = 1;

    /// <summary>
    /// Forward passes per batch, formed by prompt template and length (<see cref="TrainerOptions.LengthSortedSplits"/>;
    /// default 2): the same gradient with less padding, for SFT (the other defenses take the batch whole).
    /// </summary>
    public int LengthSortedSplits { get; set; } = 2;

    /// <summary>
    /// Compute the prompt prefix the rows of a pass share (the template's header) once (<see cref="TrainerOptions.ShareCommonPrefix"/>;
    /// default true): the same gradient for less work, for SFT.
    /// </summary>
    public bool ShareCommonPrefix { get; set; } = true;

    /// <summary>Seed of the adapter initialisation, data order and any sampling the method does (default 42).</summary>
    public long Seed { get; set; } = 42;

    /// <summary>Steps between progress reports (default 20).</summary>
    public int LogEvery { get; set; } = 20;

    /// <summary>The adapter these options describe.</summary>
    public LoraConfig Lora() => new LoraConfig { Rank = LoraRank, Alpha = LoraAlpha, TargetModules = [.. TargetModules], Seed = Seed }.Validate();

    /// <summary>The trainer settings these options describe.</summary>
    /// <param name="padTokenId">The tokenizer's padding id.</param>
    public TrainerOptions Trainer(int padTokenId) => new TrainerOptions
    {
        LearningRate = LearningRate,
        Epochs = Epochs,
        BatchSize = BatchSize,
        MaxLength = MaxLength,
        Schedule = Schedule,
        WarmupRatio = WarmupRatio,
        WeightDecay = WeightDecay,
        MaxGradNorm = MaxGradNorm,
        LengthSortedSplits = LengthSortedSplits,
        ShareCommonPrefix = ShareCommonPrefix,
        PadTokenId = padTokenId,
        Seed = Seed,
        LogEvery = LogEvery,
    }.Validate();

    /// <summary>Checks every setting; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public virtual void Validate()
    {
        if (MaxLength < 2)
            throw new ArgumentException($"{GetType().Name}.MaxLength is {MaxLength}; expected at least 2.");
        if (TargetModules is null || TargetModules.Count == 0)
            throw new ArgumentException($"{GetType().Name}.TargetModules is empty; expected at least one projection name.");
        Lora();
        Trainer(0);
    }
}
