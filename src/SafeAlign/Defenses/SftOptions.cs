namespace SafeAlign.Defenses;

/// <summary>Settings of <see cref="SftDefense"/>: only the shared ones.</summary>
public sealed class SftOptions : AlignmentDefenseOptions
{
}
