using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SafeAlign.Experiments;
using SafeAlign.Scoring;
using ScottPlot;

namespace SafeAlign.Reporting;

/// <summary>
/// Charts of experiment results, each written as SVG and PNG (<see cref="ChartOptions.Formats"/>): harmful score against
/// the harmful ratio p per configuration, harmful score against fine-tune accuracy, alignment time per defense with and
/// without data selection, and the histogram of a token scorer's risk scores. Values over seeds are the mean with
/// min–max bars. Every file is written atomically (temp file, then rename).
/// </summary>
public sealed class ExperimentCharts
{
    /// <summary>File name (without extension) of <see cref="WriteHarmfulScoreByRatio"/> in <see cref="WriteAll"/>.</summary>
    public const string HarmfulScoreByRatioName = "hs-vs-p";

    /// <summary>File name (without extension) of <see cref="WriteHarmfulScoreVersusAccuracy"/> in <see cref="WriteAll"/>.</summary>
    public const string HarmfulScoreVersusAccuracyName = "hs-vs-fa";

    /// <summary>File name (without extension) of <see cref="WriteAlignmentTime"/> in <see cref="WriteAll"/>.</summary>
    public const string AlignmentTimeName = "alignment-time";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static readonly MarkerShape[] Markers =
        [MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond, MarkerShape.OpenCircle,
         MarkerShape.OpenSquare, MarkerShape.OpenTriangleUp, MarkerShape.OpenDiamond, MarkerShape.Cross, MarkerShape.Eks];

    private readonly ChartOptions _options;
    private readonly ILogger _logger;
    private readonly ChartWriter _writer;
    private readonly IPalette _palette = new ScottPlot.Palettes.Category10();

    /// <summary>Creates the chart writer.</summary>
    /// <param name="options">Sizes, formats and font; defaults when null.</param>
    /// <param name="logger">Logs each written chart; none by default.</param>
    /// <exception cref="ArgumentException">An option is out of range (<see cref="ChartOptions.Validate"/>).</exception>
    public ExperimentCharts(ChartOptions? options = null, ILogger<ExperimentCharts>? logger = null)
    {
        _options = options ?? new ChartOptions();
        _options.Validate();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _writer = new ChartWriter(_options, _logger);
    }

    /// <summary>
    /// Writes the charts the rows can make into <paramref name="folder"/>: <c>hs-vs-p</c>, <c>hs-vs-fa</c> and, when a
    /// row ran an alignment defense, <c>alignment-time</c> (each .svg and .png).
    /// </summary>
    /// <param name="rows">Experiment rows (e.g. from <see cref="ExperimentRunner"/> or <see cref="ExperimentReport.ReadCsv"/>).</param>
    /// <param name="folder">Destination folder; created when missing.</param>
    /// <returns>The charts written.</returns>
    /// <exception cref="ArgumentException">No rows, or the folder is empty.</exception>
    /// <exception cref="ChartFontException">No font can draw the text.</exception>
    public IReadOnlyList<ChartFiles> WriteAll(IReadOnlyList<ExperimentRow> rows, string folder)
    {
        CheckRows(rows);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var written = new List<ChartFiles>
        {
            WriteHarmfulScoreByRatio(rows, Path.Combine(folder, HarmfulScoreByRatioName)),
            WriteHarmfulScoreVersusAccuracy(rows, Path.Combine(folder, HarmfulScoreVersusAccuracyName)),
        };
        if (rows.Any(r => !string.Equals(r.Defense, ExperimentStages.None, StringComparison.OrdinalIgnoreCase)))
            written.Add(WriteAlignmentTime(rows, Path.Combine(folder, AlignmentTimeName)));
        else
            Log.ChartSkipped(_logger, "alignment time", "no row ran an alignment defense");
        return written;
    }

    /// <summary>
    /// Harmful score after the attack against the harmful ratio p: one line per configuration (selector, defense,
    /// fine-tuning defense, scorer, pruner), the mean over seeds with min–max bars.
    /// </summary>
    /// <param name="rows">Experiment rows.</param>
    /// <param name="basePath">Destination without extension; ".svg" and ".png" are appended.</param>
    /// <returns>The files written.</returns>
    /// <exception cref="ArgumentException">No rows, or the path is empty.</exception>
    /// <exception cref="ChartFontException">No font can draw the text.</exception>
    public ChartFiles WriteHarmfulScoreByRatio(IReadOnlyList<ExperimentRow> rows, string basePath)
    {
        CheckRows(rows);
        ArgumentException.ThrowIfNullOrWhiteSpace(basePath);
        const string title = "Harmful score after the attack vs harmful ratio p";
        using var plot = NewPlot(title, Subtitle(rows, null),
            "harmful ratio p (fraction of fine-tuning samples that are harmful)", "harmful score HS (%)");
        var series = ChartData.ByConfiguration(rows);
        for (int s = 0; s < series.Count; s++)
        {
            var points = series[s].Points;
            double[] xs = points.Select(p => p.Ratio).ToArray();
            double[] ys = points.Select(p => p.HarmfulScore.Mean).ToArray();
            var line = plot.Add.Scatter(xs, ys, _palette.GetColor(s));
            Style(line, s, series.Count, series[s].Label);
            AddErrorBars(plot, xs, points.Select(p => p.HarmfulScore).ToList(), null, _palette.GetColor(s));
        }
        var ratios = series.SelectMany(s => s.Points.Select(p => p.Ratio)).Distinct().Order().ToArray();
        plot.Axes.Bottom.SetTicks(ratios, ratios.Select(ChartData.Ratio).ToArray());
        double span = ratios.Length > 1 ? ratios[^1] - ratios[0] : 0.1;
        plot.Axes.SetLimits(ratios[0] - 0.05 * span, ratios[^1] + 0.05 * span, -3, 103);
        PercentTicks(plot.Axes.Left, 0, 100);
        plot.ShowLegend(Alignment.UpperLeft);
        return _writer.Write(plot, title, basePath);
    }

    /// <summary>
    /// Harmful score against fine-tune accuracy after the attack: per configuration one marker per p (labelled when a
    /// configuration has several), the mean over seeds with min–max bars on both axes. Low and right is better.
    /// </summary>
    /// <param name="rows">Experiment rows.</param>
    /// <param name="basePath">Destination without extension; ".svg" and ".png" are appended.</param>
    /// <returns>The files written.</returns>
    /// <exception cref="ArgumentException">No rows, or the path is empty.</exception>
    /// <exception cref="ChartFontException">No font can draw the text.</exception>
    public ChartFiles WriteHarmfulScoreVersusAccuracy(IReadOnlyList<ExperimentRow> rows, string basePath)
    {
        CheckRows(rows);
        ArgumentException.ThrowIfNullOrWhiteSpace(basePath);
        const string title = "Harmful score vs fine-tune accuracy after the attack";
        using var plot = NewPlot(title, Subtitle(rows, "lower right is better"),
            "fine-tune accuracy FA on the attack's task (%)", "harmful score HS (%)");
        var series = ChartData.ByConfiguration(rows);
        for (int s = 0; s < series.Count; s++)
        {
            var points = series[s].Points;
            double[] xs = points.Select(p => p.FinetuneAccuracy.Mean).ToArray();
            double[] ys = points.Select(p => p.HarmfulScore.Mean).ToArray();
            var markers = plot.Add.Scatter(xs, ys, _palette.GetColor(s));
            Style(markers, s, series.Count, series[s].Label);
            markers.LineWidth = 0;
            markers.MarkerSize = (float)(13 - 4.0 * s / Math.Max(1, series.Count - 1));
            markers.MarkerLineWidth = 2;
            AddErrorBars(plot, xs, points.Select(p => p.HarmfulScore).ToList(), points.Select(p => p.FinetuneAccuracy).ToList(), _palette.GetColor(s));
        }
        // p labels, left of the markers: one per cluster of markers that would print on top of each other, across
        // configurations ("p=0, 0.05"), in the configuration's colour or grey when several configurations share it.
        if (series.Any(x => x.Points.Count > 1))
        {
            var all = series.SelectMany((x, index) => x.Points.Select(p => (Series: index, Point: p))).ToList();
            foreach (var cluster in Clusters(all))
            {
                var first = cluster[0].Point;
                var label = plot.Add.Text("p=" + string.Join(", ", cluster.Select(c => c.Point.Ratio).Distinct().Order().Select(ChartData.Ratio)),
                    first.FinetuneAccuracy.Mean, first.HarmfulScore.Mean);
                label.LabelFontSize = 12;
                label.LabelFontColor = cluster.Select(c => c.Series).Distinct().Count() == 1 ? _palette.GetColor(cluster[0].Series) : Colors.DimGray;
                label.LabelAlignment = Alignment.MiddleRight;
                label.LabelOffsetX = -10;
                label.LabelFontName = _writer.Font;
            }
        }
        double minAccuracy = series.SelectMany(s => s.Points).Min(p => p.FinetuneAccuracy.Min);
        double left = Math.Max(0, Math.Floor(minAccuracy / 10) * 10 - 10);
        plot.Axes.SetLimits(left - 0.01 * (100 - left), 100 + 0.06 * (100 - left), -3, 103);
        PercentTicks(plot.Axes.Left, 0, 100);
        PercentTicks(plot.Axes.Bottom, left, 100);
        plot.ShowLegend(Alignment.UpperLeft);
        return _writer.Write(plot, title, basePath);
    }

    /// <summary>
    /// Alignment wall time per defense, one bar per selector ("full set" without selection), the mean over seeds with
    /// min–max bars; the selector's own time is stacked on top in a lighter shade. Rows without an alignment defense are
    /// left out.
    /// </summary>
    /// <param name="rows">Experiment rows; at least one must run an alignment defense.</param>
    /// <param name="basePath">Destination without extension; ".svg" and ".png" are appended.</param>
    /// <returns>The files written.</returns>
    /// <exception cref="ArgumentException">No rows, no row with an alignment defense, or the path is empty.</exception>
    /// <exception cref="ChartFontException">No font can draw the text.</exception>
    public ChartFiles WriteAlignmentTime(IReadOnlyList<ExperimentRow> rows, string basePath)
    {
        CheckRows(rows);
        ArgumentException.ThrowIfNullOrWhiteSpace(basePath);
        var bars = ChartData.AlignmentTimes(rows);
        if (bars.Count == 0)
            throw new ArgumentException("No row ran an alignment defense (every defense is 'none'); there is no alignment time to chart.", nameof(rows));
        const string title = "Alignment time per defense, full set vs selected subset";
        using var plot = NewPlot(title, Subtitle(rows, "wall time", attack: false),
            "alignment defense", "wall time (s)");
        var defenses = bars.Select(b => b.Defense).Distinct().ToList();
        var selectors = bars.Select(b => b.Selector).Distinct().ToList();
        // Each defense's bars side by side around its tick, as many as it has selectors.
        double width = 0.8 / bars.GroupBy(b => b.Defense).Max(g => g.Count());
        double Position(AlignmentBar bar)
        {
            var present = bars.Where(b => b.Defense == bar.Defense).Select(b => b.Selector).ToList();
            return defenses.IndexOf(bar.Defense) + width * (present.IndexOf(bar.Selector) - (present.Count - 1) / 2.0);
        }
        var legend = new List<LegendItem>();
        for (int s = 0; s < selectors.Count; s++)
        {
            var color = _palette.GetColor(s);
            var mine = bars.Where(b => b.Selector == selectors[s]).ToList();
            var plotted = new List<Bar>();
            foreach (var bar in mine)
            {
                double x = Position(bar);
                plotted.Add(new Bar
                {
                    Position = x, Value = bar.AlignmentSeconds.Mean, Size = width * 0.9, FillColor = color, LineWidth = 0,
                    Label = bar.AlignmentSeconds.Mean.ToString("F0", Invariant) + " s",
                });
                if (bar.SelectionSeconds.Mean > 0)
                {
                    plotted.Add(new Bar
                    {
                        Position = x, ValueBase = bar.AlignmentSeconds.Mean, Value = bar.AlignmentSeconds.Mean + bar.SelectionSeconds.Mean,
                        Size = width * 0.9, FillColor = color.WithAlpha(0.35), LineWidth = 0,
                        Label = "+" + bar.SelectionSeconds.Mean.ToString("F0", Invariant) + " s",
                    });
                }
            }
            var barPlot = plot.Add.Bars(plotted);
            barPlot.ValueLabelStyle.FontSize = 11;
            barPlot.ValueLabelStyle.FontName = _writer.Font;
            AddErrorBars(plot, mine.Select(Position).ToArray(),
                mine.Select(b => b.AlignmentSeconds).ToList(), null, Colors.Black);
            string name = string.Equals(selectors[s], ExperimentStages.None, StringComparison.OrdinalIgnoreCase)
                ? $"full set ({mine[0].AlignmentRows.ToString("N0", Invariant)} rows)"
                : $"{selectors[s]} subset ({mine[0].AlignmentRows.ToString("N0", Invariant)} rows)";
            legend.Add(new LegendItem { LabelText = name, FillColor = color });
            if (mine.Any(b => b.SelectionSeconds.Mean > 0))
                legend.Add(new LegendItem { LabelText = $"{selectors[s]} selection time", FillColor = color.WithAlpha(0.35) });
        }
        plot.Axes.Bottom.SetTicks(defenses.Select((_, i) => (double)i).ToArray(), defenses.ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;
        double top = bars.Max(b => Math.Max(b.AlignmentSeconds.Max, b.AlignmentSeconds.Mean + b.SelectionSeconds.Mean));
        plot.Axes.SetLimits(-0.6, defenses.Count - 0.4, 0, top * 1.25);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(NiceStep(top * 1.25 / 6));
        // Below the plot: over it, the legend would hide the tallest bars.
        plot.Legend.ManualItems.AddRange(legend);
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.ShowLegend(Edge.Bottom);
        return _writer.Write(plot, title, basePath);
    }

    /// <summary>
    /// Histogram of a token scorer's per-token risk (<see cref="TokenRiskScores.Risk"/>, NaN positions skipped), as the
    /// share of each group's tokens per bin; split into harmful and benign samples' tokens when labels are given, with
    /// the mask's cut marked when the mask discards exactly the tokens above a score (a global top-d mask such as TOSS's).
    /// </summary>
    /// <param name="scores">A scoring result.</param>
    /// <param name="harmful">Per sample, whether it is harmful (ground truth, e.g. the world's); null for one group.</param>
    /// <param name="basePath">Destination without extension; ".svg" and ".png" are appended.</param>
    /// <returns>The files written.</returns>
    /// <exception cref="ArgumentException">No finite score, the labels do not match the samples, or the path is empty.</exception>
    /// <exception cref="ChartFontException">No font can draw the text.</exception>
    public ChartFiles WriteTokenRiskHistogram(TokenRiskScores scores, IReadOnlyList<bool>? harmful, string basePath)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentException.ThrowIfNullOrWhiteSpace(basePath);
        return WriteHistogram(scores.Scorer, scores.Risk.Count, RiskHistogram.Create(scores, harmful, _options.HistogramBins), harmful is not null, basePath);
    }

    /// <summary>
    /// The histogram of <see cref="WriteTokenRiskHistogram(TokenRiskScores, IReadOnlyList{bool}?, string)"/> from raw
    /// arrays, e.g. risks saved by an earlier run: per sample the risk per position (NaN where not scored), optionally
    /// the harmful labels and the discarded positions.
    /// </summary>
    /// <param name="scorer">The scorer's name (title; "toss…" names get TOSS's axis label).</param>
    /// <param name="risk">Per sample, a risk per position.</param>
    /// <param name="harmful">Per sample, whether it is harmful; null for one group.</param>
    /// <param name="discarded">Per sample, the positions the mask discards; null without a mask.</param>
    /// <param name="basePath">Destination without extension; ".svg" and ".png" are appended.</param>
    /// <returns>The files written.</returns>
    /// <exception cref="ArgumentException">No finite score, the labels or positions do not match the samples, or the path is empty.</exception>
    /// <exception cref="ChartFontException">No font can draw the text.</exception>
    public ChartFiles WriteTokenRiskHistogram(string scorer, IReadOnlyList<float[]> risk, IReadOnlyList<bool>? harmful,
        IReadOnlyList<IReadOnlyList<int>>? discarded, string basePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scorer);
        ArgumentNullException.ThrowIfNull(risk);
        ArgumentException.ThrowIfNullOrWhiteSpace(basePath);
        return WriteHistogram(scorer, risk.Count, RiskHistogram.Create(scorer, risk, harmful, discarded, _options.HistogramBins), harmful is not null, basePath);
    }

    private ChartFiles WriteHistogram(string scorer, int samples, RiskHistogram histogram, bool split, string basePath)
    {
        string title = $"Token risk scores ({scorer})";
        long scored = histogram.Groups.Sum(g => g.Counts.Sum());
        string axis = scorer.StartsWith("toss", StringComparison.OrdinalIgnoreCase)
            ? "token risk score S = loss_utility − loss_harmful (nats)"
            : $"token risk score ({scorer})";
        string subtitle = $"{scored.ToString("N0", Invariant)} scored response tokens in {samples.ToString("N0", Invariant)} samples";
        using var plot = NewPlot(title, string.IsNullOrWhiteSpace(_options.Note) ? subtitle : $"{subtitle}; {_options.Note}",
            axis, "share of the group's tokens (%, log scale)");
        // Risk scores are heavy-tailed (most tokens near 0, the few the mask takes far out), so the share per bin is drawn
        // on a log axis: bar heights are log10(share %) above a floor one decade under the smallest non-empty bin. The
        // groups' bars stand side by side within each bin.
        var shares = histogram.Groups.Select(g => g.Counts.Select(c => g.Counts.Sum() == 0 ? 0 : 100.0 * c / g.Counts.Sum()).ToArray()).ToList();
        double smallest = shares.SelectMany(x => x).Where(x => x > 0).Min(), largest = shares.SelectMany(x => x).Max();
        double floor = Math.Floor(Math.Log10(smallest)) - 1, top = Math.Ceiling(Math.Log10(largest));
        double slot = histogram.Width / histogram.Groups.Count;
        for (int g = 0; g < histogram.Groups.Count; g++)
        {
            var (name, counts) = histogram.Groups[g];
            var color = _palette.GetColor(g == 0 && split ? 3 : 0);
            var bars = shares[g].Select((share, b) => (share, b)).Where(x => x.share > 0).Select(x => new Bar
            {
                Position = histogram.Low + x.b * histogram.Width + (g + 0.5) * slot, ValueBase = floor, Value = Math.Log10(x.share), Size = slot,
                FillColor = color, LineWidth = 0,
            }).ToList();
            var barPlot = plot.Add.Bars(bars);
            barPlot.LegendText = $"{name} (n = {counts.Sum().ToString("N0", Invariant)})";
        }
        if (histogram.Threshold is double cut)
        {
            var line = plot.Add.VerticalLine(cut, 2, Colors.Black, LinePattern.Solid);
            line.LegendText = $"mask cut: {histogram.Discarded.ToString("N0", Invariant)} tokens above discarded";
        }
        double[] decades = Enumerable.Range(0, (int)(top - floor) + 1).Select(i => floor + i).ToArray();
        plot.Axes.Left.SetTicks(decades, decades.Select(d => Math.Pow(10, d).ToString("0.####", Invariant)).ToArray());
        plot.Axes.SetLimitsY(floor, top + 0.35 * (top - floor));   // headroom for the legend
        double span = histogram.Width * shares[0].Length;
        plot.Axes.SetLimitsX(histogram.Low - 0.02 * span, histogram.Low + 1.02 * span);
        plot.ShowLegend(Alignment.UpperRight);
        return _writer.Write(plot, title, basePath);
    }

    private Plot NewPlot(string title, string subtitle, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title + "\n" + _writer.Wrap(subtitle, 16), 16);
        plot.XLabel(xLabel, 15);
        plot.YLabel(yLabel, 15);
        _writer.ApplyFont(plot);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        plot.Legend.FontSize = 13;
        return plot;
    }

    // Ticks every 10 (or 5 on a short range) between low and high, none beyond: 100 % is the end of a percentage axis.
    private static void PercentTicks(IAxis axis, double low, double high)
    {
        double step = high - low <= 20 ? 2 : high - low <= 50 ? 5 : 10;
        double[] ticks = Enumerable.Range(0, (int)Math.Round((high - low) / step) + 1).Select(i => low + i * step).ToArray();
        axis.SetTicks(ticks, ticks.Select(t => t.ToString("0.#", Invariant)).ToArray());
    }

    // 1, 2 or 5 × 10^k, at least the given step.
    private static double NiceStep(double rough)
    {
        double power = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(rough, 1e-9))));
        return new[] { 1.0, 2, 5, 10 }.Select(m => m * power).First(step => step >= rough);
    }

    // Groups points whose markers would overlap (within 2.5 HS points and 0.5 FA points of a cluster's first point).
    private static List<List<(int Series, RatioPoint Point)>> Clusters(IEnumerable<(int Series, RatioPoint Point)> points)
    {
        var clusters = new List<List<(int Series, RatioPoint Point)>>();
        foreach (var point in points)
        {
            var near = clusters.FirstOrDefault(c => Math.Abs(c[0].Point.HarmfulScore.Mean - point.Point.HarmfulScore.Mean) < 2.5
                && Math.Abs(c[0].Point.FinetuneAccuracy.Mean - point.Point.FinetuneAccuracy.Mean) < 0.5);
            if (near is null)
                clusters.Add([point]);
            else
                near.Add(point);
        }
        return clusters;
    }

    // Later series are drawn thinner and with smaller markers, so a series that coincides with an earlier one still
    // shows as a line inside a line. (No dashes: Skia's SVG backend cannot draw them.)
    private static void Style(ScottPlot.Plottables.Scatter scatter, int index, int count, string label)
    {
        double rank = count <= 1 ? 0 : (double)index / (count - 1);
        scatter.LegendText = label;
        scatter.LineWidth = (float)(4.5 - 3 * rank);
        scatter.MarkerSize = (float)(14 - 7 * rank);
        scatter.MarkerShape = Markers[index % Markers.Length];
    }

    // Asymmetric min–max bars around the means (vertical, and horizontal when given).
    private static void AddErrorBars(Plot plot, double[] xs, IReadOnlyList<Spread> ys, IReadOnlyList<Spread>? xSpread, Color color)
    {
        if (ys.All(y => y.Count < 2))
            return;
        var bars = plot.Add.ErrorBar(xs, ys.Select(y => y.Mean).ToArray(), ys.Select(_ => 0.0).ToArray());
        bars.YErrorPositive = ys.Select(y => y.Max - y.Mean).ToArray();
        bars.YErrorNegative = ys.Select(y => y.Mean - y.Min).ToArray();
        if (xSpread is not null)
        {
            bars.XErrorPositive = xSpread.Select(x => x.Max - x.Mean).ToArray();
            bars.XErrorNegative = xSpread.Select(x => x.Mean - x.Min).ToArray();
        }
        bars.Color = color;
        bars.LineWidth = 1.5f;
        bars.CapSize = 6;
    }

    // "mean over seeds 1, 2; p = 0.2; 200 held-out harmful prompts; <note>; bars: min–max over seeds" (p when the rows
    // share one, the bars only with several seeds).
    private string Subtitle(IReadOnlyList<ExperimentRow> rows, string? note, bool attack = true)
    {
        var parts = new List<string> { ChartData.Seeds(rows) };
        if (attack && !string.IsNullOrWhiteSpace(_options.Note))
            parts.Add(_options.Note);
        var ratios = rows.Select(r => r.HarmfulRatio).Distinct().ToList();
        if (attack && ratios.Count == 1)
            parts.Add($"p = {ChartData.Ratio(ratios[0])}");
        if (attack && ChartData.Prompts(rows) is { Length: > 0 } prompts)
            parts.Add(prompts);
        if (note is not null)
            parts.Add(note);
        if (rows.Select(r => r.Seed).Distinct().Count() > 1)
            parts.Add("bars: min–max over seeds");
        return string.Join("; ", parts);
    }

    private static void CheckRows(IReadOnlyList<ExperimentRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
            throw new ArgumentException("There are no experiment rows to chart.", nameof(rows));
        if (rows.Any(r => r is null))
            throw new ArgumentException("The rows contain null.", nameof(rows));
    }
}
