namespace SafeAlign.Selection;

/// <summary>Settings of <see cref="RandomSelector"/>: the shared budget and seed (<see cref="SelectorOptions"/>).</summary>
public sealed class RandomSelectorOptions : SelectorOptions
{
}
