using SafeAlign.DependencyInjection;
using SafeAlign.Evaluation;
using SafeAlign.Evaluation.World;

namespace SafeAlign.Cli.Hosting;

/// <summary>
/// Every setting a command uses, with the library's defaults; <c>--settings FILE</c> overrides any of them from JSON whose
/// keys are these property names (case-insensitive), e.g. <c>{"SafeAlign": {"Vaccine": {"Rho": 3}}, "Finetune": {"Epochs": 2}}</c>.
/// Objects merge into the defaults; values and lists replace them. Command-line options (<c>--seed</c>, <c>--device</c>,
/// <c>--ratio</c>, ...) are applied after the file.
/// </summary>
public sealed class CliSettings
{
    /// <summary>Stage settings, exactly as <c>services.AddSafeAlign(...)</c> takes them (device, every selector, defense, scorer and pruner).</summary>
    public SafeAlignOptions SafeAlign { get; set; } = new();

    /// <summary>The embedded world <c>world</c> exports (sizes; the seed comes from <c>--seed</c>).</summary>
    public SafetyWorldOptions World { get; set; } = new();

    /// <summary>The recipe of the world's base model (<c>world --base-model</c>), including its cache folder.</summary>
    public WorldBaseModelOptions WorldBaseModel { get; set; } = new();

    /// <summary>
    /// The user fine-tuning job (<c>finetune</c>): LoRA, learning rate, epochs, batch, length, loss normalisation, seed; and, for
    /// <c>world</c>, the size and harmful ratio of the exported user data set.
    /// </summary>
    public HarmfulFinetuneAttackOptions Finetune { get; set; } = new();

    /// <summary>Decoding and batching of <c>evaluate</c>.</summary>
    public EvaluationSettings Evaluation { get; set; } = new();

    /// <summary>Checks every part; throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public CliSettings Validate()
    {
        if (SafeAlign is null || World is null || WorldBaseModel is null || Finetune is null || Evaluation is null)
            throw new ArgumentException("Settings: a section is null; leave it out to keep its defaults.");
        SafeAlign.Validate();
        World.Validate();
        Finetune.Validate();
        Evaluation.Validate();
        return this;
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
