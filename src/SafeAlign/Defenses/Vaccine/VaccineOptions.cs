namespace SafeAlign.Defenses.Vaccine;

/// <summary>Settings of <see cref="VaccineDefense"/>: the perturbation budget ρ and the shared ones.</summary>
public sealed class VaccineOptions : AlignmentDefenseOptions
{
    /// <summary>
    /// Perturbation budget ρ: the joint L2 norm of the shifts added to every layer's attention output, over all layers
    /// and the whole batch (paper §4, Eq. 4; default 2, the reference's <c>--rho</c> default).
    /// </summary>
    public double Rho { get; set; } = 2;

    /// <inheritdoc />
    public override void Validate()
    {
        if (!double.IsFinite(Rho) || Rho < 0)
            throw new ArgumentException($"VaccineOptions.Rho is {Rho}; expected a finite value ≥ 0.");
        base.Validate();
    }
}
