namespace SafeAlign.Scoring;

/// <summary>Settings of <see cref="RandomTokenScorer"/>.</summary>
public sealed class RandomTokenScorerOptions
{
    /// <summary>Share d of all response tokens discarded (default 0.1, TOSS's d, so the baseline drops as many tokens).</summary>
    public double DiscardRatio { get; set; } = 0.1;

    /// <summary>Seed of the draw (default 42).</summary>
    public long Seed { get; set; } = 42;

    /// <summary>Throws <see cref="ArgumentException"/> when a setting is out of range.</summary>
    public RandomTokenScorerOptions Validate()
    {
        if (!(DiscardRatio >= 0 && DiscardRatio <= 1))
            throw new ArgumentException($"RandomTokenScorerOptions.DiscardRatio is {DiscardRatio}; expected a value in [0, 1].");
        return this;
    }
}
