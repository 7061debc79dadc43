using Microsoft.Extensions.Logging.Testing;
using SafeAlign.Evaluation;
using SafeAlign.Experiments;
using SafeAlign.Reporting;

namespace SafeAlign.Tests.Reporting;

public sealed class ExperimentChartsTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    // 3 seeds × {none, pharmacist} × {sft, vaccine} × p ∈ {0, 0.1, 0.2}: HS grows with p, Vaccine and the selection
    // lower it, each seed shifted; the alignment time is per seed × selector × defense.
    internal static List<ExperimentRow> SyntheticGrid()
    {
        var rows = new List<ExperimentRow>();
        foreach (long seed in new long[] { 1, 2, 3 })
        foreach (string selector in new[] { "none", "pharmacist" })
        foreach (string defense in new[] { "sft", "vaccine" })
        foreach (double p in new[] { 0, 0.1, 0.2 })
        {
            int hs = (int)(p * 800 * (defense == "vaccine" ? 0.3 : 1) * (selector == "pharmacist" ? 0.5 : 1)) + 4 + (int)seed * 6;
            int fa = 190 - (int)seed - (defense == "vaccine" ? 8 : 0);
            double align = (defense == "vaccine" ? 400 : 160) * (selector == "pharmacist" ? 0.7 : 1) + seed;
            rows.Add(new ExperimentRow(seed, selector, defense, "none", "none", "none", p, selector == "pharmacist" ? 800 : 2000,
                new RateEstimate(8, 200), new RateEstimate(Math.Min(hs, 200), 200), new RateEstimate(0, 200), new RateEstimate(fa, 200),
                selector == "pharmacist" ? 300 + seed : 0, align, 70, 0, 1_400_000_000));
        }
        return rows;
    }

    [Fact]
    public void Constructor_BadOptions_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExperimentCharts(new ChartOptions { Width = 10 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExperimentCharts(new ChartOptions { Height = 100_000 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExperimentCharts(new ChartOptions { Formats = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExperimentCharts(new ChartOptions { HistogramBins = 1 }));
        Assert.Throws<ArgumentException>(() => new ExperimentCharts(new ChartOptions { FontName = " " }));
        var missing = Assert.Throws<FileNotFoundException>(() => new ExperimentCharts(new ChartOptions { FontFile = _folder.File("none.ttf") }));
        Assert.Contains("FontFile", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_NoRowsOrNoPath_Throws()
    {
        var charts = new ExperimentCharts();
        Assert.Throws<ArgumentNullException>(() => charts.WriteAll(null!, _folder.Path));
        Assert.Throws<ArgumentException>(() => charts.WriteAll([], _folder.Path));
        Assert.Throws<ArgumentException>(() => charts.WriteHarmfulScoreByRatio(SyntheticGrid(), " "));
        var unaligned = SyntheticGrid().Select(r => r with { Defense = "none" }).ToList();
        var error = Assert.Throws<ArgumentException>(() => charts.WriteAlignmentTime(unaligned, _folder.File("t")));
        Assert.Contains("alignment defense", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_folder.Path));
    }

    [Fact]
    public void WriteAll_SyntheticGrid_WritesDecodablePngsAndWellFormedSvgs()
    {
        var options = new ChartOptions { Width = 800, Height = 500 };

        var charts = new ExperimentCharts(options).WriteAll(SyntheticGrid(), _folder.File("charts"));

        Assert.Equal(["hs-vs-p", "hs-vs-fa", "alignment-time"], charts.Select(c => Path.GetFileNameWithoutExtension(c.Png!)));
        foreach (var chart in charts)
        {
            ChartImages.AssertPng(chart.Png!, 800, 500);
            var texts = ChartImages.SvgTexts(chart.Svg!, 800, 500);
            Assert.Contains(chart.Title, texts);
            Assert.Contains("mean over seeds 1, 2, 3", string.Join('\n', texts), StringComparison.Ordinal);
        }
        var ratio = ChartImages.SvgTexts(charts[0].Svg!, 800, 500);
        Assert.Contains("harmful score HS (%)", ratio);
        Assert.Contains("harmful ratio p (fraction of fine-tuning samples that are harmful)", ratio);
        Assert.Equal(["sft", "vaccine", "pharmacist + sft", "pharmacist + vaccine"], ratio.Where(t => t.Contains("sft", StringComparison.Ordinal) || t.Contains("vaccine", StringComparison.Ordinal)).Take(4));
        Assert.Contains("0.1", ratio);
        var scatter = ChartImages.SvgTexts(charts[1].Svg!, 800, 500);
        Assert.Contains("fine-tune accuracy FA on the attack's task (%)", scatter);
        Assert.Contains(scatter, t => t.StartsWith("p=", StringComparison.Ordinal));
        var time = ChartImages.SvgTexts(charts[2].Svg!, 800, 500);
        Assert.Contains("wall time (s)", time);
        Assert.Contains("full set (2,000 rows)", time);
        Assert.Contains("pharmacist subset (800 rows)", time);
        Assert.Contains("pharmacist selection time", time);
        Assert.Empty(Directory.GetFiles(_folder.File("charts"), "*.tmp-*"));
    }

    [Fact]
    public void WriteAll_NoAlignmentDefense_SkipsTheTimeChart()
    {
        var rows = SyntheticGrid().Where(r => r.Selector == "none" && r.Defense == "sft").Select(r => r with { Defense = "none", AlignmentSeconds = 0 }).ToList();

        var charts = new ExperimentCharts(new ChartOptions { Formats = ChartFormats.Png }).WriteAll(rows, _folder.Path);

        Assert.Equal(2, charts.Count);
        Assert.All(charts, c => Assert.Null(c.Svg));
        Assert.Equal(2, Directory.GetFiles(_folder.Path).Length);
        Assert.Contains("no alignment", ChartData.Label(rows[0]), StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ExistingFile_IsReplaced()
    {
        string basePath = _folder.File("hs");
        File.WriteAllText(basePath + ".svg", "old");

        var files = new ExperimentCharts().WriteHarmfulScoreByRatio(SyntheticGrid(), basePath);

        Assert.StartsWith("<?xml", File.ReadAllText(files.Svg!), StringComparison.Ordinal);
        Assert.Equal(2, Directory.GetFiles(_folder.Path).Length);
    }

    [Fact]
    public void Write_FontNotInstalled_FallsBackAndLogs()
    {
        var logs = new FakeLogCollector();
        var charts = new ExperimentCharts(new ChartOptions { FontName = "No Such Font Family", Formats = ChartFormats.Png }, new FakeLogger<ExperimentCharts>(logs));

        var files = charts.WriteHarmfulScoreByRatio(SyntheticGrid(), _folder.File("fallback"));

        ChartImages.AssertPng(files.Png!, 900, 560);
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 2001 && r.Message.Contains("No Such Font Family", StringComparison.Ordinal));
    }

    [Fact]
    public void Write_FontFile_IsRegisteredUnderTheGivenName()
    {
        // Debian's fonts-dejavu-core (on the dev and CI image); any TrueType file would do.
        const string file = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
        Assert.True(File.Exists(file), $"{file} is missing: apt-get install fonts-dejavu-core");
        var logs = new FakeLogCollector();
        var charts = new ExperimentCharts(new ChartOptions { FontName = "SafeAlign Chart Test Font", FontFile = file, Formats = ChartFormats.Both },
            new FakeLogger<ExperimentCharts>(logs));

        var files = charts.WriteHarmfulScoreByRatio(SyntheticGrid(), _folder.File("file-font"));

        ChartImages.AssertPng(files.Png!, 900, 560);
        // The SVG names the family inside the file; the default would have been DejaVu Sans.
        Assert.Contains("font-family=\"DejaVu Sans Mono\"", File.ReadAllText(files.Svg!), StringComparison.Ordinal);
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Id.Id == 2001);
    }

    [Fact]
    public void ChartData_ByConfiguration_MeanAndRangeOverSeeds()
    {
        var series = ChartData.ByConfiguration(SyntheticGrid());

        Assert.Equal(["sft", "vaccine", "pharmacist + sft", "pharmacist + vaccine"], series.Select(s => s.Label));
        var sft = series[0].Points;
        Assert.Equal([0, 0.1, 0.2], sft.Select(p => p.Ratio));
        // p = 0.2, sft: HS counts 160 + 4 + 6·seed → 170, 176, 182 of 200.
        Assert.Equal(3, sft[2].HarmfulScore.Count);
        Assert.Equal(88, sft[2].HarmfulScore.Mean, 9);
        Assert.Equal(85, sft[2].HarmfulScore.Min, 9);
        Assert.Equal(91, sft[2].HarmfulScore.Max, 9);
        Assert.Equal(94.5, sft[2].FinetuneAccuracy.Max, 9);
    }

    [Fact]
    public void ChartData_AlignmentTimes_EachSeedOnce()
    {
        var bars = ChartData.AlignmentTimes(SyntheticGrid());

        Assert.Equal([("sft", "none"), ("vaccine", "none"), ("sft", "pharmacist"), ("vaccine", "pharmacist")], bars.Select(b => (b.Defense, b.Selector)));
        var sft = bars[0];
        Assert.Equal(3, sft.AlignmentSeconds.Count);   // 9 rows per cell, 3 seeds
        Assert.Equal(162, sft.AlignmentSeconds.Mean, 9);
        Assert.Equal(0, sft.SelectionSeconds.Max);
        Assert.Equal(302, bars[2].SelectionSeconds.Mean, 9);
        Assert.Equal(800, bars[2].AlignmentRows);
    }
}
