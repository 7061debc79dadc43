using SafeAlign.Scoring;
using SafeAlign.Tokenization;

namespace SafeAlign.Tests.Scoring;

public sealed class RandomTokenScorerTests
{
    [Fact]
    public async Task Score_DropsExactlyFloorDN_ResponseTokensOnly_SeededAndLeavesTheModelAlone()
    {
        using var model = ScoringFixture.Model();
        var request = ScoringFixture.Request(model);
        var before = ScoringFixture.Weights(model);

        var a = await new RandomTokenScorer(new RandomTokenScorerOptions { DiscardRatio = 0.2, Seed = 1 }).ScoreAsync(request);
        var again = await new RandomTokenScorer(new RandomTokenScorerOptions { DiscardRatio = 0.2, Seed = 1 }).ScoreAsync(request);
        var other = await new RandomTokenScorer(new RandomTokenScorerOptions { DiscardRatio = 0.2, Seed = 2 }).ScoreAsync(request);

        long response = request.UserData.Sum(e => e.Labels.Skip(1).Count(l => l != TokenizedExample.IgnoreIndex));
        Assert.Equal(response, a.ResponseTokens);
        Assert.Equal(TokenRanking.Budget(0.2, response), a.MaskedTokens);
        Assert.Equal(a.Masked.Select(e => e.Labels), again.Masked.Select(e => e.Labels));
        Assert.NotEqual(a.Masked.Select(e => e.Labels), other.Masked.Select(e => e.Labels));
        for (int i = 0; i < request.UserData.Count; i++)
        {
            for (int t = 0; t < request.UserData[i].Length; t++)
                Assert.Equal(t > 0 && request.UserData[i].Labels[t] != TokenizedExample.IgnoreIndex, !float.IsNaN(a.Risk[i][t]));
        }
        Assert.All(model.named_parameters(), p => Assert.True(before[p.name].equal(p.parameter).all().item<bool>()));
        Assert.Throws<ArgumentException>(() => new RandomTokenScorer(new RandomTokenScorerOptions { DiscardRatio = -1 }));
    }

    [Fact]
    public async Task Report_HistogramCoversEveryScoredToken_TopTokensDescend_AndWrites()
    {
        using var model = ScoringFixture.Model();
        var request = ScoringFixture.Request(model);
        var scores = await new RandomTokenScorer(new RandomTokenScorerOptions { DiscardRatio = 0.1 }).ScoreAsync(request);

        var report = TokenRiskReport.Create(scores, request.UserData, ScoringFixture.Tokenizer(), bins: 8, top: 10);

        Assert.Equal(8, report.Histogram.Count);
        Assert.Equal(scores.ResponseTokens, report.Histogram.Sum(b => b.Count));
        Assert.Equal(request.UserData.Count, report.DiscardedShare.Count);
        Assert.Equal(scores.MaskedTokens, Enumerable.Range(0, request.UserData.Count).Sum(i => (long)Math.Round(report.DiscardedShare[i] * scores.Mask!.ResponseTokensOf(i))));
        Assert.Equal(10, report.TopTokens.Count);
        Assert.True(report.TopTokens.Zip(report.TopTokens.Skip(1)).All(p => p.First.Risk >= p.Second.Risk));
        Assert.All(report.TopTokens, t =>
        {
            Assert.Equal(scores.Risk[t.Sample][t.Position], t.Risk);
            Assert.True(t.Discarded); // the top 10 lie inside the discarded top 10 %
            Assert.Contains("⟦" + t.Token + "⟧", t.Context, StringComparison.Ordinal);
        });
        using var dir = new TempDirectory();
        report.WriteMarkdown(dir.File("report.md"));
        string md = File.ReadAllText(dir.File("report.md"));
        Assert.Contains("## Risk histogram", md, StringComparison.Ordinal);
        Assert.Contains("## Highest-risk tokens", md, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => TokenRiskReport.Create(scores with { Mask = null }, request.UserData, ScoringFixture.Tokenizer()));
    }
}
