using System.Globalization;
using System.Text;

using SafeAlign.Evaluation;

namespace SafeAlign.Experiments;

/// <summary>
/// Writes experiment rows as CSV (one line per row) and as Markdown tables (per row, and aggregated over seeds), and reads
/// the CSV back (<see cref="ReadCsv"/>) so charts and tables can be remade without rerunning the grid.
/// </summary>
public static class ExperimentReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>
    /// The CSV header, in column order. The columns after <c>defect_auc</c> carry the exact counts behind the
    /// percentages and the token mask's counts, so <see cref="ReadCsv"/> gets every rate back exactly.
    /// </summary>
    public const string CsvHeader =
        "seed,selector,defense,finetuning,scorer,pruner,p,alignment_rows,aligned_hs,hs,hs_low,hs_high,hs_count,hs_total,over_refusal,fa,fa_low,fa_high,selection_s,alignment_s,finetune_s,pruning_s,alignment_peak_mb,mask_precision,mask_recall,defect_auc," +
        "aligned_hs_count,aligned_hs_total,over_refusal_count,over_refusal_total,fa_count,fa_total," +
        "mask_discarded,mask_discarded_in_harmful,mask_harmful_tokens,mask_harmful_samples,mask_harmful_touched,mask_benign_touched";

    /// <summary>
    /// Renders the rows as CSV (rates as percentages, 95 % Wilson bounds beside HS and FA; the token mask's precision and
    /// recall against the harmful samples, empty without a scorer).
    /// </summary>
    /// <param name="rows">The rows.</param>
    public static string ToCsv(IEnumerable<ExperimentRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var csv = new StringBuilder(CsvHeader).Append('\n');
        foreach (var r in rows)
        {
            var (hsLow, hsHigh) = r.HarmfulScore.Interval95;
            var (faLow, faHigh) = r.FinetuneAccuracy.Interval95;
            csv.AppendLine(string.Join(',',
                r.Seed.ToString(Invariant), Quote(r.Selector), Quote(r.Defense), Quote(r.Finetuning), Quote(r.Scorer), Quote(r.Pruner), r.HarmfulRatio.ToString("G4", Invariant),
                r.AlignmentRows.ToString(Invariant), F(r.AlignedHarmfulScore.Percent), F(r.HarmfulScore.Percent), F(100 * hsLow), F(100 * hsHigh),
                r.HarmfulScore.Count.ToString(Invariant), r.HarmfulScore.Total.ToString(Invariant), F(r.OverRefusal.Percent),
                F(r.FinetuneAccuracy.Percent), F(100 * faLow), F(100 * faHigh), F(r.SelectionSeconds), F(r.AlignmentSeconds), F(r.FinetuneSeconds),
                F(r.PruningSeconds), F(r.AlignmentPeakBytes / 1e6), r.Mask is null ? "" : F(100 * r.Mask.Precision), r.Mask is null ? "" : F(100 * r.Mask.Recall),
                r.DefectAuc?.ToString("F3", Invariant) ?? "",
                I(r.AlignedHarmfulScore.Count), I(r.AlignedHarmfulScore.Total), I(r.OverRefusal.Count), I(r.OverRefusal.Total),
                I(r.FinetuneAccuracy.Count), I(r.FinetuneAccuracy.Total),
                r.Mask is null ? ",,,,," : string.Join(',', I(r.Mask.DiscardedTokens), I(r.Mask.DiscardedInHarmful), I(r.Mask.HarmfulResponseTokens),
                    I(r.Mask.HarmfulSamples), I(r.Mask.HarmfulSamplesTouched), I(r.Mask.BenignSamplesTouched))));
        }
        return csv.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    /// <summary>Renders one Markdown table row per experiment row.</summary>
    /// <param name="rows">The rows.</param>
    public static string ToMarkdown(IEnumerable<ExperimentRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var md = new StringBuilder()
            .Append("| seed | selector | defense | fine-tuning | scorer | pruner | p | aligned HS % | HS % [95 % CI] | over-refusal % | FA % | align s | fine-tune s | select s | defect AUC |\n")
            .Append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var r in rows)
        {
            var (low, high) = r.HarmfulScore.Interval95;
            md.Append(Invariant, $"| {r.Seed} | {r.Selector} | {r.Defense} | {r.Finetuning} | {r.Scorer} | {r.Pruner} | {r.HarmfulRatio:G3} | {F(r.AlignedHarmfulScore.Percent)} | ")
              .Append(Invariant, $"{F(r.HarmfulScore.Percent)} [{F(100 * low)}–{F(100 * high)}] | {F(r.OverRefusal.Percent)} | {F(r.FinetuneAccuracy.Percent)} | ")
              .Append(Invariant, $"{r.AlignmentSeconds:F0} | {r.FinetuneSeconds:F0} | {r.SelectionSeconds:F0} | {Auc(r.DefectAuc)} |\n");
        }
        return md.ToString();
    }

    /// <summary>Renders one Markdown table row per configuration, with the mean and [min–max] over seeds.</summary>
    /// <param name="rows">The rows.</param>
    public static string ToAggregatedMarkdown(IEnumerable<ExperimentRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var md = new StringBuilder()
            .Append("| selector | defense | fine-tuning | scorer | pruner | p | seeds | aligned HS % | HS % | over-refusal % | FA % | align s | fine-tune s | select s | defect AUC |\n")
            .Append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var group in rows.GroupBy(r => r.Configuration))
        {
            var g = group.ToList();
            var first = g[0];
            md.Append(Invariant, $"| {first.Selector} | {first.Defense} | {first.Finetuning} | {first.Scorer} | {first.Pruner} | {first.HarmfulRatio:G3} | {g.Count} | ")
              .Append(Spread(g.Select(r => r.AlignedHarmfulScore.Percent))).Append(" | ")
              .Append(Spread(g.Select(r => r.HarmfulScore.Percent))).Append(" | ")
              .Append(Spread(g.Select(r => r.OverRefusal.Percent))).Append(" | ")
              .Append(Spread(g.Select(r => r.FinetuneAccuracy.Percent))).Append(" | ")
              .Append(Invariant, $"{g.Average(r => r.AlignmentSeconds):F0} | {g.Average(r => r.FinetuneSeconds):F0} | {g.Average(r => r.SelectionSeconds):F0} | ")
              .Append(g.All(r => r.DefectAuc is null) ? "–" : Auc(g.Where(r => r.DefectAuc is not null).Average(r => r.DefectAuc!.Value))).Append(" |\n");
        }
        return md.ToString();
    }

    /// <summary>Writes the CSV atomically (temp file, then rename).</summary>
    /// <param name="path">Destination file.</param>
    /// <param name="rows">The rows.</param>
    public static void WriteCsv(string path, IEnumerable<ExperimentRow> rows) => WriteAtomically(path, ToCsv(rows));

    /// <summary>
    /// Reads a CSV written by <see cref="WriteCsv"/> back into rows. Columns are found by header name, so files written
    /// before the count columns existed still read: their aligned HS, over-refusal and FA counts are rebuilt from the
    /// percentages with the HS total as denominator, and their token mask (only precision and recall were written) is
    /// left null. Seconds and peak memory come back at the CSV's precision (0.1 s, 0.1 MB).
    /// </summary>
    /// <param name="path">A grid CSV.</param>
    /// <returns>The rows, in file order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ExperimentCsvFormatException">A required column is missing or a value does not parse.</exception>
    public static IReadOnlyList<ExperimentRow> ReadCsv(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Experiment CSV '{path}' does not exist.", path);
        return ExperimentCsvReader.Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses CSV text written by <see cref="ToCsv"/>; see <see cref="ReadCsv"/>.</summary>
    /// <param name="csv">The CSV text.</param>
    /// <param name="source">Names the text in error messages (a file name).</param>
    /// <exception cref="ExperimentCsvFormatException">A required column is missing or a value does not parse.</exception>
    public static IReadOnlyList<ExperimentRow> FromCsv(string csv, string source = "CSV text")
    {
        ArgumentNullException.ThrowIfNull(csv);
        ArgumentNullException.ThrowIfNull(source);
        return ExperimentCsvReader.Parse(csv, source);
    }

    /// <summary>Writes the per-row and aggregated Markdown tables atomically.</summary>
    /// <param name="path">Destination file.</param>
    /// <param name="rows">The rows.</param>
    public static void WriteMarkdown(string path, IReadOnlyList<ExperimentRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        WriteAtomically(path, "## Mean [min–max] over seeds\n\n" + ToAggregatedMarkdown(rows) + "\n## Per seed\n\n" + ToMarkdown(rows));
    }

    private static void WriteAtomically(string path, string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            File.WriteAllText(temp, text, new UTF8Encoding(false));
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    private static string Spread(IEnumerable<double> values)
    {
        var v = values.ToList();
        return v.Min() == v.Max() ? F(v[0]) : $"{F(v.Average())} [{F(v.Min())}–{F(v.Max())}]";
    }

    private static string F(double value) => value.ToString("F1", Invariant);

    private static string I(long value) => value.ToString(Invariant);

    private static string Auc(double? value) => value?.ToString("F3", Invariant) ?? "–";

    private static string Quote(string value) =>
        value.AsSpan().IndexOfAny(",\"\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}
