namespace SafeAlign.Selection;

/// <summary>Turns per-candidate scores into the kept set: the top-k rule every scoring selector shares.</summary>
public static class SelectionRanking
{
    /// <summary>
    /// The <paramref name="keep"/> best-scored candidates (higher = better), ties broken by the lower index, returned
    /// in ascending index order (dataset order, as SEAL keeps its subset).
    /// </summary>
    /// <param name="scores">One finite score per candidate.</param>
    /// <param name="keep">How many to keep, 1 ≤ keep ≤ N.</param>
    /// <exception cref="ArgumentException">A score is NaN or infinite, or <paramref name="keep"/> is out of range.</exception>
    public static IReadOnlyList<int> TopK(IReadOnlyList<double> scores, int keep)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (keep < 1 || keep > scores.Count)
            throw new ArgumentOutOfRangeException(nameof(keep), $"keep is {keep}; expected a count in [1, {scores.Count}].");
        for (int i = 0; i < scores.Count; i++)
        {
            if (!double.IsFinite(scores[i]))
                throw new ArgumentException($"Score {i} is {scores[i]}; every candidate needs a finite score.", nameof(scores));
        }
        var order = Enumerable.Range(0, scores.Count).ToArray();
        Array.Sort(order, (a, b) => scores[b].CompareTo(scores[a]) is var c && c != 0 ? c : a.CompareTo(b));
        var kept = order.AsSpan(0, keep).ToArray();
        Array.Sort(kept);
        return kept;
    }
}
