namespace SafeAlign.Selection;

/// <summary>Settings of <see cref="RandomSelector"/>.</summary>
public sealed class RandomSelectorOptions
{
    /// <summary>Share of the candidates kept (default 0.5, Pharmacist's budget).</summary>
    public double KeepRatio { get; set; } = 0.5;

    /// <summary>Seed of the draw (default 42).</summary>
    public long Seed { get; set; } = 42;

    /// <summary>Throws <see cref="ArgumentException"/> when a setting is out of range.</summary>
    public RandomSelectorOptions Validate()
    {
        if (!(KeepRatio > 0 && KeepRatio <= 1))
            throw new ArgumentException($"RandomSelectorOptions.KeepRatio is {KeepRatio}; expected a value in (0, 1].");
        return this;
    }
}
