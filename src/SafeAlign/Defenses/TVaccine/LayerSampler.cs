namespace SafeAlign.Defenses.TVaccine;

/// <summary>
/// Draws distinct layers with given probabilities, as numpy's <c>choice(L, γ, replace=False, p=P)</c> that the
/// T-Vaccine reference uses: one draw at a time from the layers not yet drawn, probabilities renormalised each time.
/// </summary>
internal static class LayerSampler
{
    /// <summary>Draws <paramref name="count"/> distinct indices; returns them sorted.</summary>
    /// <param name="probabilities">Non-negative weights per layer (need not sum to 1).</param>
    /// <param name="count">How many layers to draw, 1 to the number of layers.</param>
    /// <param name="random">The random source.</param>
    /// <remarks>Once every layer with positive weight is drawn, the rest are drawn uniformly (numpy raises instead).</remarks>
    public static int[] Sample(IReadOnlyList<double> probabilities, int count, Random random)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(random);
        if (count < 1 || count > probabilities.Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"count is {count}; expected 1 to {probabilities.Count}.");
        if (probabilities.Any(p => !double.IsFinite(p) || p < 0))
            throw new ArgumentException($"Layer probabilities [{string.Join(", ", probabilities)}] must be finite and ≥ 0.", nameof(probabilities));
        var left = Enumerable.Range(0, probabilities.Count).ToList();
        var drawn = new List<int>(count);
        while (drawn.Count < count)
        {
            double mass = left.Sum(i => probabilities[i]);
            int pick = left[^1];
            if (mass > 0)
            {
                double u = random.NextDouble() * mass;
                foreach (int i in left)
                {
                    u -= probabilities[i];
                    if (u < 0 && probabilities[i] > 0)
                    {
                        pick = i;
                        break;
                    }
                }
                if (probabilities[pick] == 0) // rounding left u ≥ 0 after the last positive weight
                    pick = left.Last(i => probabilities[i] > 0);
            }
            else
            {
                pick = left[random.Next(left.Count)];
            }
            drawn.Add(pick);
            left.Remove(pick);
        }
        drawn.Sort();
        return [.. drawn];
    }
}
