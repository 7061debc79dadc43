using SafeAlign.Training;

namespace SafeAlign.Pipeline;

/// <summary>
/// Which registered stage implementations a <see cref="SafetyPipeline"/> built by <c>AddSafeAlign</c> uses (by the
/// names they are registered under; "none" skips a stage) and how the user's fine-tuning job runs. Bound from the
/// <c>SafeAlign:Pipeline</c> configuration section.
/// </summary>
public sealed class SafetyPipelineOptions
{
    /// <summary>The stage name that skips a stage.</summary>
    public const string None = "none";

    /// <summary>Alignment-data selector (default "pharmacist"; "full" or "none" aligns on every row).</summary>
    public string Selector { get; set; } = "pharmacist";

    /// <summary>Alignment defense (default "sft"; "none" leaves the base model unaligned).</summary>
    public string Defense { get; set; } = "sft";

    /// <summary>Token risk scorer applied to the user's data before fine-tuning (default "toss").</summary>
    public string Scorer { get; set; } = "toss";

    /// <summary>Fine-tuning-stage defense (default "none"; "lisa" interleaves alignment steps into the user's job).</summary>
    public string FinetuningDefense { get; set; } = None;

    /// <summary>Post-fine-tuning pruner (default "antidote").</summary>
    public string Pruner { get; set; } = "antidote";

    /// <summary>The user's fine-tuning job (a fresh LoRA on the aligned model).</summary>
    public FinetuneOptions Finetuning { get; set; } = new();

    /// <summary>Also measure the aligned model before fine-tuning (default true), when an evaluation set is given.</summary>
    public bool EvaluateAligned { get; set; } = true;

    /// <summary>
    /// Reuse the stages a previous run in the same folder finished with the same stage names, data and recipe (default
    /// true); false reruns every stage.
    /// </summary>
    public bool Resume { get; set; } = true;

    /// <summary>Whether <paramref name="name"/> skips a stage (null, empty or "none").</summary>
    public static bool Skips(string? name) => string.IsNullOrWhiteSpace(name) || string.Equals(name, None, StringComparison.OrdinalIgnoreCase);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    /// <returns>This instance.</returns>
    public SafetyPipelineOptions Validate()
    {
        if (Selector is null || Defense is null || Scorer is null || FinetuningDefense is null || Pruner is null)
            throw new ArgumentException("SafetyPipelineOptions: a stage name is null; use \"none\" to skip a stage.");
        if (Finetuning is null)
            throw new ArgumentException("SafetyPipelineOptions.Finetuning is null; leave it at its default instead.");
        Finetuning.Validate();
        return this;
    }
}
