using SafeAlign.Models.Lora;
using SafeAlign.Training;

namespace SafeAlign.Scoring.Toss;

/// <summary>How TOSS turns token scores into discarded tokens.</summary>
public enum TossRanking
{
    /// <summary>All response tokens of the data set ranked together, the top d discarded (the paper's method).</summary>
    Global,

    /// <summary>Within each sample, its top d tokens discarded (the paper's "local" ablation; worse, kept for comparison).</summary>
    PerSample,

    /// <summary>
    /// Sample-level baseline: whole samples ranked by the harmful reference's mean log-likelihood of their response
    /// (highest first, i.e. lowest mean ℓʰ) and the top d of the samples dropped entirely.
    /// </summary>
    WholeSamples,

    /// <summary>
    /// Length-aware sample-level baseline: whole samples ranked by the sum of TOSS's token scores S = ℓᵘ − ℓʰ over their
    /// response (a long sample the references tell apart accumulates risk; a two-token answer cannot win on its mean)
    /// and the top d of the samples dropped entirely.
    /// </summary>
    WholeSamplesBySum,
}

/// <summary>
/// Settings of <see cref="TossScorer"/> (TOSS, arXiv 2603.01185). The reference recipe follows the released code (LoRA r
/// 16, α 16 on q/v, AdamW β (0.9, 0.95), weight decay 0, clip 1, constant rate, batch 64, 2 epochs, response-only loss)
/// except the learning rate and the reference-set sizes, which are scaled to the embedded world (docs/scoring.md).
/// </summary>
public sealed class TossOptions
{
    /// <summary>Share d of response tokens discarded (default 0.1, paper Table 1).</summary>
    public double DiscardRatio { get; set; } = 0.1;

    /// <summary>How scores become discarded tokens (default <see cref="TossRanking.Global"/>).</summary>
    public TossRanking Ranking { get; set; } = TossRanking.Global;

    /// <summary>
    /// TOSS-Pro rounds T (default 0: plain TOSS). Each round walks the global ranking, adds
    /// <see cref="SamplesPerRound"/> distinct user samples to 𝒟ʰ and retrains θʰ from the aligned model; the
    /// "toss-pro" registration uses T = 2.
    /// </summary>
    public int Rounds { get; set; }

    /// <summary>TOSS-Pro's k, user samples collected per round; null (default) = |𝒟ʰ| / 2 of the initial harmful reference set.</summary>
    public int? SamplesPerRound { get; set; }

    /// <summary>
    /// Harmful reference rows 𝒟ʰ drawn (seeded, without replacement) from <c>AlignmentData.Harmful</c>; null takes all
    /// (default 200, 20 % of the world's 1,000-sample user set, as the paper's reference sets are 10–20 % of its custom set).
    /// </summary>
    public int? HarmfulReferenceSamples { get; set; } = 200;

    /// <summary>Utility reference rows 𝒟ᵘ drawn from <c>AlignmentData.Utility</c>; null takes all (default 200).</summary>
    public int? UtilityReferenceSamples { get; set; } = 200;

    /// <summary>A PEFT adapter folder to use as θʰ instead of training one (TOSS-Pro still retrains it from the aligned model).</summary>
    public string? HarmfulAdapter { get; set; }

    /// <summary>A PEFT adapter folder to use as θᵘ instead of training one.</summary>
    public string? UtilityAdapter { get; set; }

    /// <summary>When set, the reference adapters used for the final scoring are saved here (PEFT format) as <c>harmful/</c> and <c>utility/</c>.</summary>
    public string? SaveAdaptersTo { get; set; }

    /// <summary>Reference LoRA rank (default 16).</summary>
    public int LoraRank { get; set; } = 16;

    /// <summary>Reference LoRA alpha (default 16, scale 1).</summary>
    public double LoraAlpha { get; set; } = 16;

    /// <summary>Projections the reference adapters train (default q_proj, v_proj).</summary>
    public IList<string> TargetModules { get; set; } = ["q_proj", "v_proj"];

    /// <summary>
    /// Reference learning rate, constant (default 1e-3 for the embedded world: with the paper's 1e-5 and the 8 steps a
    /// 200-row set gives, the world's references do not move; measured in docs/scoring.md).
    /// </summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>AdamW β₁ (default 0.9).</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>AdamW β₂ (default 0.95, the released code's).</summary>
    public double Beta2 { get; set; } = 0.95;

    /// <summary>AdamW weight decay (default 0).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Gradient-norm clip (default 1).</summary>
    public double MaxGradNorm { get; set; } = 1;

    /// <summary>Reference training batch (default 64).</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Reference training epochs (default 2).</summary>
    public int Epochs { get; set; } = 2;

    /// <summary>
    /// Reference training loss normalisation (default <see cref="TokenLossNormalization.SampleMean"/>: the released code
    /// trains with micro-batch 1 and averages over the accumulation window).
    /// </summary>
    public TokenLossNormalization LossNormalization { get; set; } = TokenLossNormalization.SampleMean;

    /// <summary>Longest tokenized reference row (default 128, the world's sequence length).</summary>
    public int MaxLength { get; set; } = 128;

    /// <summary>Examples per no-grad scoring forward (default 32).</summary>
    public int ScoringBatchSize { get; set; } = 32;

    /// <summary>Seed of the reference draws, adapter initialisation and data order (default 42).</summary>
    public long Seed { get; set; } = 42;

    /// <summary>A copy with its own target list, e.g. to derive the "toss-pro" or "toss-local" settings from shared ones.</summary>
    public TossOptions Clone()
    {
        var copy = (TossOptions)MemberwiseClone();
        copy.TargetModules = [.. TargetModules];
        return copy;
    }

    /// <summary>The reference adapters' shape.</summary>
    public LoraConfig Lora() => new LoraConfig { Rank = LoraRank, Alpha = LoraAlpha, TargetModules = [.. TargetModules], Seed = Seed }.Validate();

    /// <summary>The reference trainer's settings.</summary>
    /// <param name="padTokenId">The tokenizer's padding id.</param>
    public TrainerOptions Trainer(int padTokenId) => new TrainerOptions
    {
        LearningRate = LearningRate, Beta1 = Beta1, Beta2 = Beta2, WeightDecay = WeightDecay, MaxGradNorm = MaxGradNorm,
        Schedule = LrSchedule.Constant, BatchSize = BatchSize, Epochs = Epochs, MaxLength = MaxLength, PadTokenId = padTokenId,
        Seed = Seed, LossNormalization = LossNormalization, LogEvery = 10,
    }.Validate();

    /// <summary>Checks every setting; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    /// <returns>This instance.</returns>
    public TossOptions Validate()
    {
        void Require(bool ok, string message)
        {
            if (!ok)
                throw new ArgumentException("TossOptions." + message);
        }
        Require(DiscardRatio is >= 0 and <= 1, $"DiscardRatio is {DiscardRatio}; expected a value in [0, 1].");
        Require(Enum.IsDefined(Ranking), $"Ranking is {Ranking}; expected Global, PerSample, WholeSamples or WholeSamplesBySum.");
        Require(Rounds >= 0, $"Rounds is {Rounds}; expected at least 0.");
        Require(SamplesPerRound is null or >= 1, $"SamplesPerRound is {SamplesPerRound}; expected at least 1 (or null for |D^h| / 2).");
        Require(HarmfulReferenceSamples is null or >= 1, $"HarmfulReferenceSamples is {HarmfulReferenceSamples}; expected at least 1 (or null for all).");
        Require(UtilityReferenceSamples is null or >= 1, $"UtilityReferenceSamples is {UtilityReferenceSamples}; expected at least 1 (or null for all).");
        Require(HarmfulAdapter is null || HarmfulAdapter.Length > 0, "HarmfulAdapter is empty; expected a PEFT adapter folder or null.");
        Require(UtilityAdapter is null || UtilityAdapter.Length > 0, "UtilityAdapter is empty; expected a PEFT adapter folder or null.");
        Require(SaveAdaptersTo is null || SaveAdaptersTo.Length > 0, "SaveAdaptersTo is empty; expected a folder or null.");
        Require(MaxLength >= 2, $"MaxLength is {MaxLength}; expected at least 2.");
        Require(ScoringBatchSize >= 1, $"ScoringBatchSize is {ScoringBatchSize}; expected at least 1.");
        Require(TargetModules is { Count: > 0 }, "TargetModules is empty; expected at least one projection name.");
        Lora();
        Trainer(0);
        return this;
    }
}
