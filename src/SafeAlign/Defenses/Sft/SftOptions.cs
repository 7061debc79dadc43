namespace SafeAlign.Defenses.Sft;

/// <summary>Settings of <see cref="SftDefense"/>: only the shared ones.</summary>
public sealed class SftOptions : AlignmentDefenseOptions
{
}
