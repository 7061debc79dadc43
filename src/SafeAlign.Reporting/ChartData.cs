using System.Globalization;
using SafeAlign.Experiments;

namespace SafeAlign.Reporting;

/// <summary>Mean, minimum and maximum of a measurement over seeds.</summary>
internal readonly record struct Spread(double Mean, double Min, double Max, int Count)
{
    public static Spread Of(IEnumerable<double> values)
    {
        var v = values.ToList();
        return new Spread(v.Average(), v.Min(), v.Max(), v.Count);
    }
}

/// <summary>One point of a per-configuration series: a harmful ratio p and what was measured there, over seeds.</summary>
internal sealed record RatioPoint(double Ratio, Spread HarmfulScore, Spread FinetuneAccuracy);

/// <summary>The rows of one configuration (everything but seed and p), as points in increasing p.</summary>
internal sealed record ConfigurationSeries(string Label, IReadOnlyList<RatioPoint> Points);

/// <summary>One bar of the alignment-time chart: a defense on one selector's rows, over seeds.</summary>
internal sealed record AlignmentBar(string Defense, string Selector, int AlignmentRows, Spread AlignmentSeconds, Spread SelectionSeconds);

/// <summary>The numbers behind the charts, computed from experiment rows (no drawing here, so tests can check them).</summary>
internal static class ChartData
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A readable name of a configuration: the stages that ran, joined by " + " ("pharmacist + sft + toss").</summary>
    public static string Label(ExperimentRow row)
    {
        var parts = new List<string>();
        if (Is(row.Selector))
            parts.Add(row.Selector);
        parts.Add(Is(row.Defense) ? row.Defense : "no alignment");
        parts.AddRange(new[] { row.Finetuning, row.Scorer, row.Pruner }.Where(Is));
        return string.Join(" + ", parts);
    }

    /// <summary>Per configuration (first-seen order), per p: HS and FA over seeds.</summary>
    public static IReadOnlyList<ConfigurationSeries> ByConfiguration(IReadOnlyList<ExperimentRow> rows) =>
        rows.GroupBy(r => (r.Selector, r.Defense, r.Finetuning, r.Scorer, r.Pruner))
            .Select(g => new ConfigurationSeries(Label(g.First()),
                g.GroupBy(r => r.HarmfulRatio).OrderBy(p => p.Key)
                 .Select(p => new RatioPoint(p.Key, Spread.Of(p.Select(r => r.HarmfulScore.Percent)), Spread.Of(p.Select(r => r.FinetuneAccuracy.Percent))))
                 .ToList()))
            .ToList();

    /// <summary>
    /// Per aligned defense and selector (first-seen order): alignment and selection seconds over seeds. The grid aligns
    /// once per seed × selector × defense and repeats the time on every row of that cell, so each seed counts once.
    /// </summary>
    public static IReadOnlyList<AlignmentBar> AlignmentTimes(IReadOnlyList<ExperimentRow> rows) =>
        rows.Where(r => Is(r.Defense))
            .GroupBy(r => (r.Defense, r.Selector))
            .Select(g =>
            {
                var perSeed = g.GroupBy(r => r.Seed).Select(s => s.First()).ToList();
                return new AlignmentBar(g.Key.Defense, g.Key.Selector, perSeed[0].AlignmentRows,
                    Spread.Of(perSeed.Select(r => r.AlignmentSeconds)), Spread.Of(perSeed.Select(r => r.SelectionSeconds)));
            })
            .ToList();

    /// <summary>"seed 1" or "mean over seeds 1, 2, 3".</summary>
    public static string Seeds(IReadOnlyList<ExperimentRow> rows)
    {
        var seeds = rows.Select(r => r.Seed).Distinct().Order().ToList();
        return seeds.Count == 1 ? $"seed {seeds[0].ToString(Invariant)}" : "mean over seeds " + string.Join(", ", seeds.Select(s => s.ToString(Invariant)));
    }

    /// <summary>The evaluation size behind HS ("200 held-out harmful prompts"), or empty when it differs between rows.</summary>
    public static string Prompts(IReadOnlyList<ExperimentRow> rows)
    {
        var totals = rows.Select(r => r.HarmfulScore.Total).Distinct().ToList();
        return totals.Count == 1 ? $"{totals[0].ToString(Invariant)} held-out harmful prompts" : "";
    }

    /// <summary>Formats p without trailing zeros (0.05, 0.2).</summary>
    public static string Ratio(double p) => p.ToString("0.###", Invariant);

    private static bool Is(string name) => !string.Equals(name, ExperimentStages.None, StringComparison.OrdinalIgnoreCase);
}
