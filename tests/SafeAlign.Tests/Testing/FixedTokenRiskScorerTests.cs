using SafeAlign.Scoring;
using SafeAlign.Testing;
using SafeAlign.Tokenization;

namespace SafeAlign.Tests.Testing;

public sealed class FixedTokenRiskScorerTests
{
    [Fact]
    public async Task Arguments_Invalid_Throw()
    {
        var request = StageFixture.Tiny.TokenRiskRequest();
        Assert.Throws<ArgumentNullException>(() => FixedTokenRiskScorer.Positions(null!));
        Assert.Throws<ArgumentNullException>(() => FixedTokenRiskScorer.TokenIds(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => FixedTokenRiskScorer.Constant(1.5));
        Assert.Throws<ArgumentException>(() => FixedTokenRiskScorer.Constant(name: ""));
        await Assert.ThrowsAsync<ArgumentNullException>(() => FixedTokenRiskScorer.Constant().ScoreAsync(null!));
        Assert.Contains("2 samples", (await Assert.ThrowsAsync<ArgumentException>(() => FixedTokenRiskScorer.Positions([[], []]).ScoreAsync(request))).Message, StringComparison.Ordinal);
        var positions = request.UserData.Select(_ => (IReadOnlyList<int>)[]).ToList();
        positions[0] = [0]; // a prompt token
        Assert.Contains("not a response token", (await Assert.ThrowsAsync<ArgumentException>(() => FixedTokenRiskScorer.Positions(positions).ScoreAsync(request))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Positions_DiscardsExactlyThose_WithRiskOneThere()
    {
        var request = StageFixture.Tiny.TokenRiskRequest();
        var data = request.UserData;
        int last = data[1].Length - 1;
        var positions = data.Select(_ => (IReadOnlyList<int>)[]).ToList();
        positions[1] = [last, last - 1];
        var scorer = FixedTokenRiskScorer.Positions(positions);

        var scores = await scorer.ScoreAsync(request);

        Assert.Equal(2, scores.MaskedTokens);
        Assert.Equal(data.Sum(e => e.Labels.Count(l => l != TokenizedExample.IgnoreIndex)), scores.ResponseTokens);
        Assert.Equal([last - 1, last], scores.Mask!.Discarded(1));
        Assert.Equal(TokenizedExample.IgnoreIndex, scores.Masked[1].Labels[last]);
        Assert.Equal(data[1].InputIds, scores.Masked[1].InputIds);
        Assert.Equal(1f, scores.Risk[1][last]);
        Assert.Equal(0f, scores.Risk[0][^1]);
        Assert.True(float.IsNaN(scores.Risk[0][0]));
        Assert.Same(request, Assert.Single(scorer.Requests));
    }

    [Fact]
    public async Task TokenIds_DiscardsEveryResponseOccurrence_AndNoPromptToken()
    {
        var request = StageFixture.Tiny.TokenRiskRequest();
        int id = request.UserData[0].InputIds[^2];

        var scores = await FixedTokenRiskScorer.TokenIds([id]).ScoreAsync(request);

        for (int i = 0; i < request.UserData.Count; i++)
        {
            var e = request.UserData[i];
            var expected = Enumerable.Range(0, e.Length).Where(t => e.InputIds[t] == id && e.Labels[t] != TokenizedExample.IgnoreIndex);
            Assert.Equal(expected, scores.Mask!.Discarded(i));
        }
        Assert.True(scores.MaskedTokens >= 1);
    }

    [Fact]
    public async Task Constant_Fraction_DiscardsTheFirstResponseTokensInDataOrder()
    {
        var request = StageFixture.Tiny.TokenRiskRequest();
        var flat = request.UserData.SelectMany((e, i) => Enumerable.Range(0, e.Length).Where(t => e.Labels[t] != TokenizedExample.IgnoreIndex).Select(t => (i, t))).ToList();
        long budget = TokenRanking.Budget(0.25, flat.Count);

        var scores = await FixedTokenRiskScorer.Constant(0.25).ScoreAsync(request);
        var none = await FixedTokenRiskScorer.Constant().ScoreAsync(request);

        Assert.Equal(budget, scores.MaskedTokens);
        var discarded = Enumerable.Range(0, request.UserData.Count).SelectMany(i => scores.Mask!.Discarded(i).Select(t => (i, t)));
        Assert.Equal(flat.Take((int)budget), discarded);
        Assert.All(flat, p => Assert.Equal(1f, scores.Risk[p.i][p.t]));
        Assert.Equal(0, none.MaskedTokens);
    }
}
