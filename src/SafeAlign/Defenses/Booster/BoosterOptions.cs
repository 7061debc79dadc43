namespace SafeAlign.Defenses.Booster;

/// <summary>
/// Settings of <see cref="BoosterDefense"/> (Huang et al., arXiv 2409.01586): the shared alignment settings plus the
/// regulariser's weight λ and the size α of the simulated harmful step. See docs/defenses.md#booster.
/// </summary>
public sealed class BoosterOptions : AlignmentDefenseOptions
{
    /// <summary>λ, weight of the harmful-loss-reduction regulariser h(w) − h(w − α·∇h/‖∇h‖) (default 5, paper §5 and scripts).</summary>
    public double Lambda { get; set; } = 5;

    /// <summary>α, length of the normalised harmful step the regulariser simulates (default 0.1, paper §5 and scripts).</summary>
    public double Alpha { get; set; } = 0.1;

    /// <summary>
    /// Harmful examples per harmful batch; null (default) uses <see cref="AlignmentDefenseOptions.BatchSize"/>. The
    /// reference hard-codes 10, which is also its alignment batch size.
    /// </summary>
    public int? HarmfulBatchSize { get; set; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!(Lambda >= 0 && double.IsFinite(Lambda)))
            throw new ArgumentException($"BoosterOptions.Lambda is {Lambda}; expected a finite number ≥ 0.");
        if (!(Alpha >= 0 && double.IsFinite(Alpha)))
            throw new ArgumentException($"BoosterOptions.Alpha is {Alpha}; expected a finite number ≥ 0.");
        if (HarmfulBatchSize < 1)
            throw new ArgumentException($"BoosterOptions.HarmfulBatchSize is {HarmfulBatchSize}; expected at least 1 (or null for BatchSize).");
    }
}
