namespace SafeAlign.Defenses.Lisa;

/// <summary>
/// Settings of <see cref="LisaDefense"/> (Huang et al., arXiv 2405.18641). The paper alternates K_a = 100 alignment and
/// K_f = 900 user steps over thousands of steps; the embedded world's attack is about 32 steps (n = 1,000, batch 32),
/// so the defaults keep the paper's 1 : 9 ratio at K_a = 1, K_f = 9 (a few cycles per attack). See docs/defenses.md#lisa.
/// </summary>
public sealed class LisaOptions
{
    /// <summary>K_a, optimizer steps per alignment state (default 1; paper 100). 0 never aligns (plain fine-tuning).</summary>
    public int AlignmentSteps { get; set; } = 1;

    /// <summary>K_f, optimizer steps per user fine-tuning state (default 9; paper 900). 0 only aligns.</summary>
    public int FinetuneSteps { get; set; } = 9;

    /// <summary>ρ, weight of the proximal term ρ/2·‖w − w̃‖² (default 1, paper and reference; the Booster repo's baseline uses 0.01).</summary>
    public double Rho { get; set; } = 1;

    /// <summary>
    /// Share of the job's steps before the proximal term switches on (default 0.1): as the reference, the term applies
    /// at step s (0-based) only when s &gt; ratio × total steps.
    /// </summary>
    public double ProximalDelayRatio { get; set; } = 0.1;

    /// <summary>Checks every setting; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public LisaOptions Validate()
    {
        if (AlignmentSteps < 0 || FinetuneSteps < 0 || AlignmentSteps + FinetuneSteps == 0)
            throw new ArgumentException($"LisaOptions.AlignmentSteps/FinetuneSteps are {AlignmentSteps}/{FinetuneSteps}; expected values ≥ 0, not both 0.");
        if (!(Rho >= 0 && double.IsFinite(Rho)))
            throw new ArgumentException($"LisaOptions.Rho is {Rho}; expected a finite number ≥ 0.");
        if (!(ProximalDelayRatio >= 0 && ProximalDelayRatio <= 1))
            throw new ArgumentException($"LisaOptions.ProximalDelayRatio is {ProximalDelayRatio}; expected a value in [0, 1].");
        return this;
    }
}
