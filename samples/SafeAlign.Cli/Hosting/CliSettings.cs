using SafeAlign.DependencyInjection;
using SafeAlign.Evaluation;
using SafeAlign.Evaluation.World;

namespace SafeAlign.Cli.Hosting;

/// <summary>
/// Every setting a command uses, with the library's defaults; <c>--settings FILE</c> overrides any of them from JSON whose
/// keys are these property names (case-insensitive), e.g. <c>{"SafeAlign": {"Vaccine": {"Rho": 3}, "Pipeline": {"Finetuning": {"Epochs": 2}}}}</c>.
/// Objects merge into the defaults; values and lists replace them. Command-line options (<c>--seed</c>, <c>--device</c>,
/// <c>--ratio</c>, ...) are applied after the file.
/// </summary>
public sealed class CliSettings
{
    /// <summary>
    /// Stage settings, exactly as <c>services.AddSafeAlign(...)</c> takes them: the device, every selector, defense, scorer and
    /// pruner, Lisa, and the user fine-tuning recipe (<c>Pipeline.Finetuning</c>) that <c>finetune</c> and <c>score-tokens</c> use.
    /// </summary>
    public SafeAlignOptions SafeAlign { get; set; } = new();

    /// <summary>The embedded world <c>world</c> exports (sizes; the seed comes from <c>--seed</c>).</summary>
    public SafetyWorldOptions World { get; set; } = new();

    /// <summary>The recipe of the world's base model (<c>world --base-model</c>), including its cache folder.</summary>
    public WorldBaseModelOptions WorldBaseModel { get; set; } = new();

    /// <summary>The user data set <c>world</c> exports (the attack's mix: size, harmful ratio, task).</summary>
    public UserDataSettings UserData { get; set; } = new();

    /// <summary>Decoding and batching of <c>evaluate</c> and <c>run</c>.</summary>
    public EvaluationSettings Evaluation { get; set; } = new();

    /// <summary>The files <c>run --config</c> takes the pipeline's model and data from.</summary>
    public RunSettings Run { get; set; } = new();

    /// <summary>Checks every part; throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public CliSettings Validate()
    {
        if (SafeAlign is null || World is null || WorldBaseModel is null || UserData is null || Evaluation is null || Run is null)
            throw new ArgumentException("Settings: a section is null; leave it out to keep its defaults.");
        SafeAlign.Validate();
        World.Validate();
        UserData.Validate();
        Evaluation.Validate();
        return this;
    }
}

/// <summary>The user fine-tuning set <c>world</c> exports, drawn as the harmful fine-tuning attack draws it (seeded by the world's seed).</summary>
public sealed class UserDataSettings
{
    /// <summary>User samples n (default 1,000, as the attack).</summary>
    public int Samples { get; set; } = 1_000;

    /// <summary>Harmful ratio p (default 0.1): the first ⌈p·n⌉ rows are harmful.</summary>
    public double HarmfulRatio { get; set; } = 0.1;

    /// <summary>The task whose training rows fill the rest (default "sst2").</summary>
    public string Task { get; set; } = "sst2";

    /// <summary>The attack's options for this set, with <paramref name="seed"/>.</summary>
    public HarmfulFinetuneAttackOptions Attack(long seed) => new HarmfulFinetuneAttackOptions { Samples = Samples, HarmfulRatio = HarmfulRatio, Seed = seed }.Validate();

    /// <summary>Checks ranges; throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Task))
            throw new ArgumentException("UserData.Task is empty; expected a world task such as \"sst2\".");
        Attack(0);
    }
}

/// <summary>How <c>evaluate</c> generates answers.</summary>
public sealed class EvaluationSettings
{
    /// <summary>New tokens per answer, greedy (default 64, as the world's measurements).</summary>
    public int MaxNewTokens { get; set; } = 64;

    /// <summary>Prompts generated together (default 64).</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Checks ranges; throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (MaxNewTokens < 1)
            throw new ArgumentException($"Evaluation.MaxNewTokens is {MaxNewTokens}; expected at least 1.");
        if (BatchSize < 1)
            throw new ArgumentException($"Evaluation.BatchSize is {BatchSize}; expected at least 1.");
    }
}

/// <summary>
/// The <c>Run</c> section of a <c>run --config</c> file: the pipeline's model and data files. Relative paths are relative to
/// the config file's folder. Stage choices and the fine-tuning recipe are in <c>SafeAlign.Pipeline</c>.
/// </summary>
public sealed class RunSettings
{
    /// <summary>Hugging Face folder of the base model to align (required).</summary>
    public string? Model { get; set; }

    /// <summary>Alignment set: harmful prompt → refusal rows, the selector's candidates (required).</summary>
    public string? Alignment { get; set; }

    /// <summary>Benign prompt → helpful rows trained alongside.</summary>
    public string? Benign { get; set; }

    /// <summary>Task rows trained alongside.</summary>
    public string? Utility { get; set; }

    /// <summary>Harmful prompt → harmful answer rows: the reference Pharmacist, TOSS and Antidote need (disjoint from the user data).</summary>
    public string? Harmful { get; set; }

    /// <summary>Trusted refusal rows Pharmacist validates on.</summary>
    public string? Validation { get; set; }

    /// <summary>The user's fine-tuning rows (instruction, input, response; an optional boolean <c>harmful</c> per row) (required).</summary>
    public string? UserData { get; set; }

    /// <summary>Held-out harmful prompts for the harmful score.</summary>
    public string? HarmfulTest { get; set; }

    /// <summary>Held-out benign prompts for over-refusal.</summary>
    public string? BenignTest { get; set; }

    /// <summary>The user task's test rows for fine-tune accuracy.</summary>
    public string? TaskTest { get; set; }

    /// <summary>The task of <see cref="TaskTest"/> rows (sst2, agnews, gsm8k, other); default: each row's own.</summary>
    public string? TaskName { get; set; }

    /// <summary>Evaluate on the first N rows of each evaluation file only.</summary>
    public int? EvaluationLimit { get; set; }

    /// <summary>The run folder (default "run"); <c>--out</c> overrides it.</summary>
    public string Out { get; set; } = "run";
}
