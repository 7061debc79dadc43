using SafeAlign.Reporting;
using SafeAlign.Scoring;
using SafeAlign.Tokenization;

namespace SafeAlign.Tests.Reporting;

public sealed class TokenRiskHistogramTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    // 40 samples of 3 prompt + 12 response tokens; the first 10 harmful with risks near 1, the rest near 0 (seeded).
    private static (List<TokenizedExample> Data, List<float[]> Risk, bool[] Harmful) Samples()
    {
        var random = new Random(7);
        var data = new List<TokenizedExample>();
        var risk = new List<float[]>();
        var harmful = new bool[40];
        for (int i = 0; i < 40; i++)
        {
            harmful[i] = i < 10;
            int[] ids = Enumerable.Range(i, 15).ToArray();
            int[] labels = ids.Select((id, k) => k < 3 ? TokenizedExample.IgnoreIndex : id).ToArray();
            data.Add(new TokenizedExample(ids, labels));
            risk.Add(Enumerable.Range(0, 15).Select(k => k < 3 ? float.NaN : (float)((harmful[i] ? 1 : 0) + 0.3 * (random.NextDouble() - 0.5))).ToArray());
        }
        return (data, risk, harmful);
    }

    // The global top-k mask over all response tokens (what TOSS's ranking gives).
    private static TokenMask TopMask(List<TokenizedExample> data, List<float[]> risk, int k)
    {
        var top = risk.SelectMany((r, i) => r.Select((v, j) => (i, j, v))).Where(t => !float.IsNaN(t.v)).OrderByDescending(t => t.v).Take(k).ToList();
        return TokenMask.Create(data, data.Select((_, i) => (IReadOnlyList<int>)top.Where(t => t.i == i).Select(t => t.j).ToList()).ToList(), "toss");
    }

    [Fact]
    public void Histogram_SplitsGroups_CountsEveryScoredToken()
    {
        var (data, risk, harmful) = Samples();
        var scores = new TokenRiskScores("toss", risk, data, 0, 480, TimeSpan.Zero);

        var histogram = RiskHistogram.Create(scores, harmful, 20);

        Assert.Equal(2, histogram.Groups.Count);
        Assert.Equal(120, histogram.Groups[0].Counts.Sum());   // 10 harmful × 12 response tokens
        Assert.Equal(360, histogram.Groups[1].Counts.Sum());
        // Harmful risks sit near 1, benign near 0: the harmful group fills only the upper bins.
        int firstHarmfulBin = Array.FindIndex(histogram.Groups[0].Counts, c => c > 0);
        int lastBenignBin = Array.FindLastIndex(histogram.Groups[1].Counts, c => c > 0);
        Assert.True(firstHarmfulBin > lastBenignBin, $"{firstHarmfulBin} vs {lastBenignBin}");
        Assert.Null(histogram.Threshold);
        Assert.Single(RiskHistogram.Create(scores, null, 20).Groups);
    }

    [Fact]
    public void Histogram_GlobalTopMask_MarksTheCut_RandomMaskDoesNot()
    {
        var (data, risk, harmful) = Samples();
        var top = new TokenRiskScores("toss", risk, data, 48, 480, TimeSpan.Zero) { Mask = TopMask(data, risk, 48) };

        var histogram = RiskHistogram.Create(top, harmful, 20);

        float expected = risk.SelectMany(r => r).Where(v => !float.IsNaN(v)).OrderDescending().ElementAt(47);
        Assert.Equal(expected, histogram.Threshold!.Value, 6);
        Assert.Equal(48, histogram.Discarded);
        var scattered = TokenMask.Create(data, data.Select((_, i) => (IReadOnlyList<int>)(i % 2 == 0 ? [3] : [])).ToList(), "random-tokens");
        Assert.Null(RiskHistogram.Create(top with { Mask = scattered }, harmful, 20).Threshold);
    }

    [Fact]
    public void WriteTokenRiskHistogram_WritesChart_WithLegendAndCut()
    {
        var (data, risk, harmful) = Samples();
        var scores = new TokenRiskScores("toss", risk, data, 48, 480, TimeSpan.Zero) { Mask = TopMask(data, risk, 48) };

        var files = new ExperimentCharts(new ChartOptions { Width = 700, Height = 450 }).WriteTokenRiskHistogram(scores, harmful, _folder.File("risk"));

        ChartImages.AssertPng(files.Png!, 700, 450);
        var texts = ChartImages.SvgTexts(files.Svg!, 700, 450);
        Assert.Contains("Token risk scores (toss)", texts);
        Assert.Contains("tokens of harmful samples (n = 120)", texts);
        Assert.Contains("tokens of benign samples (n = 360)", texts);
        Assert.Contains("mask cut: 48 tokens above discarded", texts);
        Assert.Contains("share of the group's tokens (%, log scale)", texts);
        Assert.Contains("10", texts);   // a decade tick of the log axis
    }

    [Fact]
    public void WriteTokenRiskHistogram_RawArrays_SameCutAsTheScores()
    {
        var (data, risk, harmful) = Samples();
        var mask = TopMask(data, risk, 48);
        var discarded = Enumerable.Range(0, mask.Count).Select(mask.Discarded).ToList();
        var fromScores = RiskHistogram.Create(new TokenRiskScores("toss", risk, data, 48, 480, TimeSpan.Zero) { Mask = mask }, harmful, 20);

        var fromArrays = RiskHistogram.Create("toss", risk, harmful, discarded, 20);
        var files = new ExperimentCharts(new ChartOptions { Formats = ChartFormats.Png }).WriteTokenRiskHistogram("toss", risk, harmful, discarded, _folder.File("raw"));

        Assert.Equal(fromScores.Threshold, fromArrays.Threshold);
        Assert.Equal(fromScores.Groups.Select(g => g.Counts), fromArrays.Groups.Select(g => g.Counts));
        ChartImages.AssertPng(files.Png!, 900, 560);
        var charts = new ExperimentCharts();
        Assert.Throws<ArgumentException>(() => charts.WriteTokenRiskHistogram("toss", risk, harmful, discarded.Take(3).ToList(), _folder.File("x")));
        var outside = discarded.Select((d, i) => i == 0 ? (IReadOnlyList<int>)[99] : d).ToList();
        Assert.Contains("Sample 0", Assert.Throws<ArgumentException>(() => charts.WriteTokenRiskHistogram("toss", risk, harmful, outside, _folder.File("x"))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => charts.WriteTokenRiskHistogram(" ", risk, harmful, discarded, _folder.File("x")));
    }

    [Fact]
    public void WriteTokenRiskHistogram_BadInput_Throws()
    {
        var (data, risk, harmful) = Samples();
        var charts = new ExperimentCharts();
        var scores = new TokenRiskScores("toss", risk, data, 0, 480, TimeSpan.Zero);

        Assert.Throws<ArgumentNullException>(() => charts.WriteTokenRiskHistogram(null!, harmful, _folder.File("x")));
        var mismatch = Assert.Throws<ArgumentException>(() => charts.WriteTokenRiskHistogram(scores, harmful[..5], _folder.File("x")));
        Assert.Contains("harmful has 5 labels", mismatch.Message, StringComparison.Ordinal);
        var empty = scores with { Risk = risk.Select(r => r.Select(_ => float.NaN).ToArray()).ToList() };
        Assert.Throws<ArgumentException>(() => charts.WriteTokenRiskHistogram(empty, null, _folder.File("x")));
        Assert.Empty(Directory.GetFiles(_folder.Path));
    }
}
