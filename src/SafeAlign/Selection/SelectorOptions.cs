namespace SafeAlign.Selection;

/// <summary>
/// Settings every alignment-data selector shares: the budget (<see cref="KeepRatio"/>) and the seed. Each selector's
/// options derive from it, so a grid compares selectors at one ratio under one option name.
/// </summary>
public class SelectorOptions
{
    /// <summary>
    /// Share of the candidates kept, in (0, 1] (default 0.4: Pharmacist's −57 % alignment time implies keeping about
    /// 0.42 of the set; see docs/selection.md). The kept count is max(1, round(ratio · N)).
    /// </summary>
    public double KeepRatio { get; set; } = 0.4;

    /// <summary>Seed of every random choice the selector makes (default 42).</summary>
    public long Seed { get; set; } = 42;

    /// <summary>Rows kept out of <paramref name="candidates"/>: max(1, round(<see cref="KeepRatio"/> · N)), half away from zero.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than one candidate.</exception>
    public int KeepCount(int candidates)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, 1);
        return Math.Clamp((int)Math.Round(KeepRatio * candidates, MidpointRounding.AwayFromZero), 1, candidates);
    }

    /// <summary>Checks every setting; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public virtual void Validate()
    {
        if (!(KeepRatio > 0 && KeepRatio <= 1))
            throw new ArgumentException($"{GetType().Name}.KeepRatio is {KeepRatio}; expected a value in (0, 1].");
    }
}
