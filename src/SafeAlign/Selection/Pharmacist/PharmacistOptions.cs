using SafeAlign.Models.Lora;

namespace SafeAlign.Selection.Pharmacist;

/// <summary>
/// Settings of <see cref="PharmacistSelector"/> (Pharmacist, arXiv 2510.10085, as reconstructed in docs/selection.md; the
/// paper's hyper-parameters are not public). Selector defaults follow SEAL's reference code (Adam lr 5e-3, β (0.9, 0.95),
/// logits initialised at 0.1, 3 epochs) and Booster's harmful step (α = 0.1); the scratch adapter and model step follow
/// the world's alignment recipe (LoRA r 8, α 16 on all projections, AdamW lr 2e-3, batch 32, clip 1).
/// </summary>
public sealed class PharmacistOptions : SelectorOptions
{
    /// <summary>Passes over the alignment set (default 3, SEAL).</summary>
    public int Epochs { get; set; } = 3;

    /// <summary>Learning rate of the selector's Adam on the logits ω (default 5e-3, SEAL's script).</summary>
    public double SelectorLearningRate { get; set; } = 5e-3;

    /// <summary>β₁ of the selector's Adam (default 0.9, SEAL).</summary>
    public double SelectorBeta1 { get; set; } = 0.9;

    /// <summary>β₂ of the selector's Adam (default 0.95, SEAL).</summary>
    public double SelectorBeta2 { get; set; } = 0.95;

    /// <summary>ε of the selector's Adam (default 1e-8, PyTorch's).</summary>
    public double SelectorEpsilon { get; set; } = 1e-8;

    /// <summary>Initial value of every logit ω_i (default 0.1, SEAL; any constant gives uniform weights π = 1).</summary>
    public double InitialLogit { get; set; } = 0.1;

    /// <summary>
    /// Whether the upper objective includes the simulated harmful step (default true: Pharmacist). False gives the
    /// validation-only ablation U(θ) = L_val(θ), registered as "seal".
    /// </summary>
    public bool UseHarmfulStep { get; set; } = true;

    /// <summary>α, length of the normalised harmful step θ − α·∇h/‖∇h‖ inside U (default 0.1, Booster's value).</summary>
    public double Alpha { get; set; } = 0.1;

    /// <summary>Learning rate of the model's AdamW step on the scratch adapter (default 2e-3, the world's alignment recipe).</summary>
    public double LearningRate { get; set; } = 2e-3;

    /// <summary>η, the step size of the one-step inner approximation θ' = θ − η·∇F_B; null (default) uses <see cref="LearningRate"/>.</summary>
    public double? InnerStepSize { get; set; }

    /// <summary>Alignment rows per selector step (default 32).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Harmful rows (prompt → harmful answer) per simulated harmful step (default 16).</summary>
    public int HarmfulBatchSize { get; set; } = 16;

    /// <summary>Validation rows per upper-loss evaluation (default 16).</summary>
    public int ValidationBatchSize { get; set; } = 16;

    /// <summary>Rows of <see cref="Data.AlignmentData.Validation"/> used, the first ones (default 100; fewer when the set is smaller).</summary>
    public int ValidationSize { get; set; } = 100;

    /// <summary>Longest tokenized example; longer ones are cut (default 128).</summary>
    public int MaxLength { get; set; } = 128;

    /// <summary>Gradient-norm clip of the model step (default 1; 0 turns it off).</summary>
    public double MaxGradNorm { get; set; } = 1;

    /// <summary>
    /// λ₀ of SEAL's penalty schedule: the model step descends (1 − λ_e)·F_B + λ_e·U with λ_e = max(0, λ₀ − e·<see cref="PenaltyDecay"/>)
    /// in epoch e (default 0: the model step is the plain lower level; SEAL's script uses 1.0).
    /// </summary>
    public double PenaltyStart { get; set; }

    /// <summary>Per-epoch decrease of λ (default 0.03, SEAL's script).</summary>
    public double PenaltyDecay { get; set; } = 0.03;

    /// <summary>LoRA rank of the scratch adapter (default 8).</summary>
    public int LoraRank { get; set; } = 8;

    /// <summary>LoRA alpha of the scratch adapter (default 16).</summary>
    public double LoraAlpha { get; set; } = 16;

    /// <summary>Projections that get a scratch adapter (default all seven).</summary>
    public IList<string> TargetModules { get; set; } = [.. LoraConfig.AllProjections];

    /// <summary>How per-sample gradient alignments are computed (default <see cref="GradientAlignmentStrategy.Ghost"/>).</summary>
    public GradientAlignmentStrategy Strategy { get; set; } = GradientAlignmentStrategy.Ghost;

    /// <summary>Steps between progress logs (default 20).</summary>
    public int LogEvery { get; set; } = 20;

    /// <summary>η as used: <see cref="InnerStepSize"/> or, when null, <see cref="LearningRate"/>.</summary>
    public double Eta => InnerStepSize ?? LearningRate;

    /// <summary>A copy with the harmful step off: the settings of the validation-only ablation ("seal").</summary>
    public PharmacistOptions WithoutHarmfulStep()
    {
        var copy = (PharmacistOptions)MemberwiseClone();
        copy.TargetModules = [.. TargetModules ?? []];
        copy.UseHarmfulStep = false;
        return copy;
    }

    /// <summary>The scratch adapter these options describe.</summary>
    public LoraConfig Lora() => new LoraConfig { Rank = LoraRank, Alpha = LoraAlpha, TargetModules = [.. TargetModules ?? []], Seed = Seed }.Validate();

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        void Require(bool ok, string message)
        {
            if (!ok)
                throw new ArgumentException("PharmacistOptions." + message);
        }
        static bool Positive(double v) => v > 0 && double.IsFinite(v);
        Require(Epochs >= 1, $"Epochs is {Epochs}; expected at least 1.");
        Require(Positive(SelectorLearningRate), $"SelectorLearningRate is {SelectorLearningRate}; expected a positive number.");
        Require(SelectorBeta1 is >= 0 and < 1 && SelectorBeta2 is >= 0 and < 1, $"SelectorBeta1/SelectorBeta2 are {SelectorBeta1}/{SelectorBeta2}; expected values in [0, 1).");
        Require(Positive(SelectorEpsilon), $"SelectorEpsilon is {SelectorEpsilon}; expected a positive number.");
        Require(double.IsFinite(InitialLogit), $"InitialLogit is {InitialLogit}; expected a finite number.");
        Require(Alpha >= 0 && double.IsFinite(Alpha), $"Alpha is {Alpha}; expected a finite number ≥ 0.");
        Require(Positive(LearningRate), $"LearningRate is {LearningRate}; expected a positive number.");
        Require(InnerStepSize is null || Positive(InnerStepSize.Value), $"InnerStepSize is {InnerStepSize}; expected a positive number (or null for LearningRate).");
        Require(BatchSize >= 1, $"BatchSize is {BatchSize}; expected at least 1.");
        Require(HarmfulBatchSize >= 1, $"HarmfulBatchSize is {HarmfulBatchSize}; expected at least 1.");
        Require(ValidationBatchSize >= 1, $"ValidationBatchSize is {ValidationBatchSize}; expected at least 1.");
        Require(ValidationSize >= 1, $"ValidationSize is {ValidationSize}; expected at least 1.");
        Require(MaxLength >= 2, $"MaxLength is {MaxLength}; expected at least 2.");
        Require(MaxGradNorm >= 0 && double.IsFinite(MaxGradNorm), $"MaxGradNorm is {MaxGradNorm}; expected a finite number ≥ 0.");
        Require(PenaltyStart is >= 0 and <= 1, $"PenaltyStart is {PenaltyStart}; expected a value in [0, 1].");
        Require(PenaltyDecay >= 0 && double.IsFinite(PenaltyDecay), $"PenaltyDecay is {PenaltyDecay}; expected a finite number ≥ 0.");
        Require(Enum.IsDefined(Strategy), $"Strategy is {Strategy}; expected one of {string.Join(", ", Enum.GetNames<GradientAlignmentStrategy>())}.");
        Require(LogEvery >= 1, $"LogEvery is {LogEvery}; expected at least 1.");
        Require(TargetModules is { Count: > 0 }, "TargetModules is empty; expected at least one projection name.");
        Lora();
    }
}
