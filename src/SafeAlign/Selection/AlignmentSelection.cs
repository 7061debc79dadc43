namespace SafeAlign.Selection;

/// <summary>The outcome of a data selection.</summary>
/// <param name="Selector">The selector's name.</param>
/// <param name="Indices">The kept rows, as indices into the candidate list, in ascending order.</param>
/// <param name="Scores">A score per candidate (higher = more worth keeping), in candidate order.</param>
/// <param name="Elapsed">Wall time of the selection.</param>
public sealed record AlignmentSelection(string Selector, IReadOnlyList<int> Indices, IReadOnlyList<double> Scores, TimeSpan Elapsed);
