using SafeAlign.Models.Lora;

namespace SafeAlign.Selection.GradientNorm;

/// <summary>Settings of <see cref="GradientNormSelector"/>: the shared budget, which end to keep, and the probe adapter.</summary>
public sealed class GradientNormSelectorOptions : SelectorOptions
{
    /// <summary>Keep the rows with the largest gradient norm (<see cref="KeepOrder.Highest"/>, default, as GraNd) or the smallest.</summary>
    public KeepOrder Keep { get; set; } = KeepOrder.Highest;

    /// <summary>Rows per pass (default 32).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Longest tokenized example; longer ones are cut (default 128).</summary>
    public int MaxLength { get; set; } = 128;

    /// <summary>LoRA rank of the probe adapter the gradients are taken over (default 8, the alignment recipe's).</summary>
    public int LoraRank { get; set; } = 8;

    /// <summary>LoRA alpha of the probe adapter (default 16).</summary>
    public double LoraAlpha { get; set; } = 16;

    /// <summary>Projections that get the probe adapter (default all seven).</summary>
    public IList<string> TargetModules { get; set; } = [.. LoraConfig.AllProjections];

    /// <summary>The probe adapter these options describe.</summary>
    public LoraConfig Lora() => new LoraConfig { Rank = LoraRank, Alpha = LoraAlpha, TargetModules = [.. TargetModules ?? []], Seed = Seed }.Validate();

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!Enum.IsDefined(Keep))
            throw new ArgumentException($"GradientNormSelectorOptions.Keep is {Keep}; expected Lowest or Highest.");
        if (BatchSize < 1)
            throw new ArgumentException($"GradientNormSelectorOptions.BatchSize is {BatchSize}; expected at least 1.");
        if (MaxLength < 2)
            throw new ArgumentException($"GradientNormSelectorOptions.MaxLength is {MaxLength}; expected at least 2.");
        if (TargetModules is null || TargetModules.Count == 0)
            throw new ArgumentException("GradientNormSelectorOptions.TargetModules is empty; expected at least one projection name.");
        Lora();
    }
}
