namespace SafeAlign.Evaluation;

/// <summary>A count out of a total, with its rate and a 95 % Wilson score interval.</summary>
/// <param name="Count">Items with the property (e.g. harmful answers).</param>
/// <param name="Total">Items evaluated.</param>
public readonly record struct RateEstimate(int Count, int Total)
{
    /// <summary>Count / Total (0 when Total is 0).</summary>
    public double Rate => Total == 0 ? 0 : (double)Count / Total;

    /// <summary>Rate in percent.</summary>
    public double Percent => 100 * Rate;

    /// <summary>95 % Wilson score interval of the rate, as (low, high) fractions.</summary>
    public (double Low, double High) Interval95 => Wilson95(Count, Total);

    /// <summary>
    /// 95 % Wilson score interval for <paramref name="successes"/> out of <paramref name="total"/>; successes may be
    /// fractional (a win rate counting ties as half a win), as (low, high) fractions; (0, 1) when the total is 0.
    /// </summary>
    public static (double Low, double High) Wilson95(double successes, int total)
    {
        if (total == 0)
            return (0, 1);
        const double z = 1.959963984540054;
        double n = total, p = successes / total, z2 = z * z;
        double center = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
        return (Math.Max(0, center - half), Math.Min(1, center + half));
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var (low, high) = Interval95;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Percent:F1}% ({Count}/{Total}, 95% CI {100 * low:F1}–{100 * high:F1})");
    }
}
