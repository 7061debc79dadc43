namespace SafeAlign.Defenses.RepNoise;

/// <summary>
/// Settings of <see cref="RepNoiseDefense"/> (Rosati et al., arXiv 2405.14577): the shared alignment settings plus the
/// weights of the noise and ascent terms of L = CE_harmless + β·MMD_noise − α·log(A). See docs/defenses.md#repnoise.
/// </summary>
public sealed class RepNoiseOptions : AlignmentDefenseOptions
{
    /// <summary>
    /// α, weight of the damped gradient ascent on harmful answers (default 1, the official <c>rep_noise_loss</c> default).
    /// The LoRA ports used as baselines (Booster, Antidote, T-Vaccine repos) run α = 0.1.
    /// </summary>
    public double Alpha { get; set; } = 1;

    /// <summary>β, weight of the MMD between harmful-input MLP outputs and Gaussian noise (default 0.001, paper and all ports).</summary>
    public double Beta { get; set; } = 0.001;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!(Alpha >= 0 && double.IsFinite(Alpha)))
            throw new ArgumentException($"RepNoiseOptions.Alpha is {Alpha}; expected a finite number ≥ 0.");
        if (!(Beta >= 0 && double.IsFinite(Beta)))
            throw new ArgumentException($"RepNoiseOptions.Beta is {Beta}; expected a finite number ≥ 0.");
    }
}
