using SafeAlign.Defenses.Booster;
using SafeAlign.Defenses.Lisa;
using SafeAlign.Defenses.RepNoise;
using SafeAlign.Defenses.Sft;
using SafeAlign.Defenses.TVaccine;
using SafeAlign.Defenses.Vaccine;
using SafeAlign.Native;
using SafeAlign.Pipeline;
using SafeAlign.Scoring;
using SafeAlign.Scoring.Toss;
using SafeAlign.Pruning.Antidote;
using SafeAlign.Selection;
using SafeAlign.Selection.GradientNorm;
using SafeAlign.Selection.Loss;
using SafeAlign.Selection.Pharmacist;

namespace SafeAlign.DependencyInjection;

/// <summary>
/// Every setting <see cref="SafeAlignServiceCollectionExtensions.AddSafeAlign"/> registers, one property per stage
/// method. Plain classes, so an app binds them from a configuration section (<c>configuration.GetSection("SafeAlign").Bind(options)</c>)
/// with property names as keys, e.g. <c>SafeAlign:Vaccine:Rho</c>; see docs/architecture.md.
/// </summary>
public sealed class SafeAlignOptions
{
    /// <summary>The device every stage runs on (default "auto": CUDA when present, else CPU).</summary>
    public DeviceOptions Device { get; set; } = new();

    /// <summary>The defense resolved for an unkeyed <c>IAlignmentDefense</c> (default "sft").</summary>
    public string DefaultDefense { get; set; } = SftDefense.DefenseName;

    /// <summary>Plain supervised alignment.</summary>
    public SftOptions Sft { get; set; } = new();

    /// <summary>Vaccine (perturbation-aware alignment).</summary>
    public VaccineOptions Vaccine { get; set; } = new();

    /// <summary>T-Vaccine (layer-sampled Vaccine).</summary>
    public TVaccineOptions TVaccine { get; set; } = new();

    /// <summary>RepNoise (representation noising).</summary>
    public RepNoiseOptions RepNoise { get; set; } = new();

    /// <summary>Booster (harmful-perturbation attenuation); also used by "booster+vaccine".</summary>
    public BoosterOptions Booster { get; set; } = new();

    /// <summary>Lisa, the fine-tuning-stage defense (used through <c>LisaDefense</c> with the alignment data).</summary>
    public LisaOptions Lisa { get; set; } = new();

    /// <summary>The random-subset selector baseline.</summary>
    public RandomSelectorOptions RandomSelector { get; set; } = new();

    /// <summary>
    /// Pharmacist, the bilevel alignment-data selector ("pharmacist"); the ablation without the harmful step ("seal")
    /// uses the same settings with <see cref="PharmacistOptions.UseHarmfulStep"/> off.
    /// </summary>
    public PharmacistOptions Pharmacist { get; set; } = new();

    /// <summary>The loss-based selector baseline ("loss" keeps <see cref="LossSelectorOptions.Keep"/>'s end, "loss-high" the highest).</summary>
    public LossSelectorOptions LossSelector { get; set; } = new();

    /// <summary>The gradient-norm selector baseline ("gradnorm").</summary>
    public GradientNormSelectorOptions GradientNormSelector { get; set; } = new();

    /// <summary>
    /// TOSS token scoring ("toss"); "toss-local" and "toss-sample" use these settings with per-sample ranking and
    /// whole-sample dropping.
    /// </summary>
    public TossOptions Toss { get; set; } = new();

    /// <summary>TOSS-Pro ("toss-pro"): TOSS settings with T = 2 rounds.</summary>
    public TossOptions TossPro { get; set; } = new() { Rounds = 2 };

    /// <summary>The random token-drop baseline ("random-tokens").</summary>
    public RandomTokenScorerOptions RandomTokens { get; set; } = new();

    /// <summary>
    /// Antidote, the post-fine-tuning pruner; its baselines ("magnitude", "random-prune", "wanda-benign") share these
    /// settings with their criterion and calibration source replaced.
    /// </summary>
    public AntidoteOptions Antidote { get; set; } = new();

    /// <summary>
    /// The <see cref="Pipeline.SafetyPipeline"/> resolved from the container: which registered stage each step uses (by
    /// name) and the user's fine-tuning recipe.
    /// </summary>
    public SafetyPipelineOptions Pipeline { get; set; } = new();

    /// <summary>Validates every part; throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public SafeAlignOptions Validate()
    {
        if (Device is null || Sft is null || Vaccine is null || TVaccine is null || RepNoise is null || Booster is null || Lisa is null || RandomSelector is null
            || Pharmacist is null || LossSelector is null || GradientNormSelector is null
            || Toss is null || TossPro is null || RandomTokens is null || Antidote is null || Pipeline is null)
            throw new ArgumentException("SafeAlignOptions: a stage's options are null; leave them at their defaults instead.");
        if (string.IsNullOrWhiteSpace(DefaultDefense))
            throw new ArgumentException("SafeAlignOptions.DefaultDefense is empty; expected a registered defense name such as \"sft\".");
        Sft.Validate();
        Vaccine.Validate();
        TVaccine.Validate();
        RepNoise.Validate();
        Booster.Validate();
        Lisa.Validate();
        RandomSelector.Validate();
        Pharmacist.Validate();
        LossSelector.Validate();
        GradientNormSelector.Validate();
        Toss.Validate();
        TossPro.Validate();
        RandomTokens.Validate();
        Antidote.Validate();
        Pipeline.Validate();
        return this;
    }
}
