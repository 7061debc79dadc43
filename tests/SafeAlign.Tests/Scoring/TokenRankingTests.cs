using SafeAlign.Scoring;

namespace SafeAlign.Tests.Scoring;

public sealed class TokenRankingTests
{
    private const float N = float.NaN;

    // Naive oracle: candidates as (score, sample, position), ranked by score descending, then sample, then position.
    private static List<(float Score, int Sample, int Position)> Ranked(IReadOnlyList<float[]> scores) =>
        scores.SelectMany((row, i) => row.Select((s, t) => (Score: s, Sample: i, Position: t)))
            .Where(c => !float.IsNaN(c.Score))
            .OrderByDescending(c => c.Score).ThenBy(c => c.Sample).ThenBy(c => c.Position).ToList();

    private static int[][] Group(IEnumerable<(int Sample, int Position)> chosen, int samples) =>
        Enumerable.Range(0, samples).Select(i => chosen.Where(c => c.Sample == i).Select(c => c.Position).Order().ToArray()).ToArray();

    private static List<float[]> RandomScores(int seed, int samples, int ties = 0)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, samples).Select(_ =>
        {
            int length = random.Next(1, 12);
            return Enumerable.Range(0, length).Select(t => t < 2 || random.NextDouble() < 0.2 ? N
                : ties > 0 ? random.Next(ties) : (float)random.NextDouble()).ToArray();
        }).ToList();
    }

    [Fact]
    public void Arguments_Invalid_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenRanking.GlobalTop([[1f]], -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenRanking.GlobalTop([[1f]], 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenRanking.PerSampleTop([[1f]], double.NaN));
        Assert.Throws<ArgumentNullException>(() => TokenRanking.GlobalTop(null!, 0.1));
        Assert.Throws<ArgumentException>(() => TokenRanking.GlobalTop([[1f, float.PositiveInfinity]], 0.1));
        Assert.Throws<ArgumentException>(() => TokenRanking.WholeSamples([[1f], [2f]], [1.0], 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenRanking.SamplesInRankOrder([[1f]], -1));
    }

    [Theory]
    [InlineData(0.3, 10, 3)]   // 0.3 · 10 is 2.9999999999999996 in double
    [InlineData(0.1, 30, 3)]
    [InlineData(0.1, 9, 0)]
    [InlineData(0.7, 10, 7)]
    [InlineData(1.0, 7, 7)]
    [InlineData(0.0, 7, 0)]
    public void Budget_IsExactFloor(double d, long n, long expected) => Assert.Equal(expected, TokenRanking.Budget(d, n));

    [Theory]
    [InlineData(1, 0.1)]
    [InlineData(2, 0.3)]
    [InlineData(3, 0.55)]
    [InlineData(4, 1.0)]
    public void GlobalTop_DiscardsExactlyFloorDN_TheOraclesTokens(int seed, double d)
    {
        var scores = RandomScores(seed, 40);
        var ranked = Ranked(scores);

        int[][] discarded = TokenRanking.GlobalTop(scores, d);

        long k = (long)Math.Floor((decimal)d * ranked.Count);
        Assert.Equal(k, discarded.Sum(p => p.Length));
        Assert.Equal(Group(ranked.Take((int)k).Select(c => (c.Sample, c.Position)), scores.Count), discarded);
    }

    [Fact]
    public void GlobalTop_Ties_GoToEarlierSampleThenEarlierPosition_Deterministically()
    {
        float[][] equal = [[N, 1, 1, 1], [N, 1, 1], [N, 1, 1, 1, 1]]; // N = 9 candidates, all tied
        int[][] discarded = TokenRanking.GlobalTop(equal, 0.5);          // ⌊4.5⌋ = 4
        Assert.Equal([[1, 2, 3], [1], []], discarded);

        var heavyTies = RandomScores(7, 60, ties: 3);
        var first = TokenRanking.GlobalTop(heavyTies, 0.35);
        Assert.Equal(first, TokenRanking.GlobalTop(heavyTies, 0.35));
        var ranked = Ranked(heavyTies);
        Assert.Equal(Group(ranked.Take((int)TokenRanking.Budget(0.35, ranked.Count)).Select(c => (c.Sample, c.Position)), heavyTies.Count), first);
    }

    [Fact]
    public void GlobalTop_NeverPicksANonCandidate_EvenWhenDiscardingAll()
    {
        var scores = RandomScores(5, 20);
        int[][] all = TokenRanking.GlobalTop(scores, 1.0);
        for (int i = 0; i < scores.Count; i++)
            Assert.Equal(Enumerable.Range(0, scores[i].Length).Where(t => !float.IsNaN(scores[i][t])).ToArray(), all[i]);
    }

    [Fact]
    public void NoBudgetOrNoCandidates_DiscardNothing()
    {
        var scores = RandomScores(6, 10);
        Assert.All(TokenRanking.GlobalTop(scores, 0), p => Assert.Empty(p));
        float[][] none = [[N, N], [N]];
        Assert.Equal([[], []], TokenRanking.GlobalTop(none, 1));
        Assert.Equal([[], []], TokenRanking.PerSampleTop(none, 1));
        Assert.Equal([[], []], TokenRanking.WholeSamples(none, [1.0, 2.0], 1));
        Assert.Empty(TokenRanking.SamplesInRankOrder(none, 3));
    }

    [Fact]
    public void PerSampleTop_DiscardsFloorDLiPerSample_ByScoreThenPosition()
    {
        var scores = RandomScores(8, 30, ties: 4);
        const double d = 0.4;

        int[][] discarded = TokenRanking.PerSampleTop(scores, d);

        for (int i = 0; i < scores.Count; i++)
        {
            var candidates = scores[i].Select((s, t) => (Score: s, Position: t)).Where(c => !float.IsNaN(c.Score)).ToList();
            int k = (int)Math.Floor((decimal)d * candidates.Count);
            Assert.Equal(candidates.OrderByDescending(c => c.Score).ThenBy(c => c.Position).Take(k).Select(c => c.Position).Order().ToArray(), discarded[i]);
        }
    }

    [Fact]
    public void WholeSamples_DropsTopFloorDnSamples_AllTheirCandidates()
    {
        float[][] scores = [[N, 1, 1], [N, 2], [N, N], [N, 3, 3, 3], [N, 4]];
        double[] sampleScores = [0.5, 0.9, 5.0, 0.9, double.NaN]; // sample 2 has no candidate, sample 4 no score: neither is eligible

        int[][] discarded = TokenRanking.WholeSamples(scores, sampleScores, 0.7); // ⌊0.7 · 3⌋ = 2 of the 3 eligible

        Assert.Equal([[], [1], [], [1, 2, 3], []], discarded); // samples 1 and 3 tie at 0.9; both taken ahead of 0
    }

    [Fact]
    public void SamplesInRankOrder_WalksTheGlobalRanking_EachSampleOnceAtItsBestToken()
    {
        // Global ranking: (2,1)=9, (0,2)=8, (2,2)=7, (1,1)=6, (0,1)=5, (3,1)=5 → samples 2, 0, 1, 3.
        float[][] scores = [[N, 5, 8], [N, 6], [N, 9, 7], [N, 5], [N, N]];

        Assert.Equal([2, 0, 1, 3], TokenRanking.SamplesInRankOrder(scores, 10));
        Assert.Equal([2, 0], TokenRanking.SamplesInRankOrder(scores, 2));
        Assert.Empty(TokenRanking.SamplesInRankOrder(scores, 0));

        var random = RandomScores(9, 50, ties: 5);
        var expected = Ranked(random).Select(c => c.Sample).Distinct().Take(17).ToArray();
        Assert.Equal(expected, TokenRanking.SamplesInRankOrder(random, 17));
    }
}
