namespace SafeAlign.Selection;

/// <summary>Which end of a heuristic score a baseline selector keeps.</summary>
public enum KeepOrder
{
    /// <summary>Keep the rows with the lowest values.</summary>
    Lowest,

    /// <summary>Keep the rows with the highest values.</summary>
    Highest,
}
