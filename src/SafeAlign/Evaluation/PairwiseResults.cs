using System.Globalization;

namespace SafeAlign.Evaluation;

/// <summary>The outcome of one comparison, from the candidate's side.</summary>
public enum PairwiseOutcome
{
    /// <summary>The candidate is better.</summary>
    Win,

    /// <summary>Neither is better (or the two orders disagree).</summary>
    Tie,

    /// <summary>The baseline is better.</summary>
    Loss,
}

/// <summary>One instruction judged in both orders.</summary>
/// <param name="Instruction">The instruction.</param>
/// <param name="Candidate">The candidate model's response.</param>
/// <param name="Baseline">The baseline model's response.</param>
/// <param name="CandidateFirst">The verdict with the candidate shown as output A.</param>
/// <param name="BaselineFirst">The verdict with the baseline shown as output A.</param>
/// <param name="Outcome">Both verdicts when they agree, else <see cref="PairwiseOutcome.Tie"/>.</param>
public sealed record PairwiseVerdict(string Instruction, string Candidate, string Baseline, PairwiseOutcome CandidateFirst, PairwiseOutcome BaselineFirst, PairwiseOutcome Outcome)
{
    /// <summary>1 for a win, 0.5 for a tie, 0 for a loss.</summary>
    public double Score => Outcome switch { PairwiseOutcome.Win => 1, PairwiseOutcome.Tie => 0.5, _ => 0 };
}

/// <summary>A pairwise win rate with its interval and the verdicts behind it.</summary>
/// <param name="Wins">Instructions the candidate won.</param>
/// <param name="Ties">Ties, including order-inconsistent verdicts.</param>
/// <param name="Losses">Instructions the baseline won.</param>
/// <param name="Items">Every verdict, in input order.</param>
public sealed record WinRateResult(int Wins, int Ties, int Losses, IReadOnlyList<PairwiseVerdict> Items)
{
    /// <summary>Instructions judged.</summary>
    public int Total => Wins + Ties + Losses;

    /// <summary>(wins + ties / 2) / total; 0 when nothing was judged.</summary>
    public double WinRate => Total == 0 ? 0 : (Wins + 0.5 * Ties) / Total;

    /// <summary>Win rate in percent (TOSS reports this, with the baseline at 50 by construction).</summary>
    public double Percent => 100 * WinRate;

    /// <summary>95 % Wilson score interval of the win rate, ties counted as half wins.</summary>
    public (double Low, double High) Interval95 => RateEstimate.Wilson95(Wins + 0.5 * Ties, Total);

    /// <inheritdoc />
    public override string ToString()
    {
        var (low, high) = Interval95;
        return string.Create(CultureInfo.InvariantCulture, $"{Percent:F1}% ({Wins} W / {Ties} T / {Losses} L of {Total}, 95% CI {100 * low:F1}–{100 * high:F1})");
    }
}
