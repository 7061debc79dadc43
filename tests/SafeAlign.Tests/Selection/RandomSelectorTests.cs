using SafeAlign.Selection;
using SafeAlign.Tests.Defenses;

namespace SafeAlign.Tests.Selection;

public sealed class RandomSelectorTests
{
    [Fact]
    public async Task Select_KeepsTheRatio_SortedDistinct_SeededAndScoresRankTheKept()
    {
        using var model = DefenseFixture.Model();
        var request = new SelectionRequest(model, DefenseFixture.Tokenizer(), DefenseFixture.Data());

        var a = await new RandomSelector(new RandomSelectorOptions { KeepRatio = 0.25, Seed = 1 }).SelectAsync(request);
        var b = await new RandomSelector(new RandomSelectorOptions { KeepRatio = 0.25, Seed = 1 }).SelectAsync(request);
        var c = await new RandomSelector(new RandomSelectorOptions { KeepRatio = 0.25, Seed = 2 }).SelectAsync(request);

        Assert.Equal(16, a.Indices.Count);
        Assert.Equal(a.Indices.Order(), a.Indices);
        Assert.Equal(16, a.Indices.Distinct().Count());
        Assert.Equal(a.Indices, b.Indices);
        Assert.NotEqual(a.Indices, c.Indices);
        Assert.Equal(64, a.Scores.Count);
        // The kept rows are exactly the 16 best-scored candidates.
        var best = Enumerable.Range(0, 64).OrderByDescending(i => a.Scores[i]).Take(16).Order();
        Assert.Equal(best, a.Indices);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Options_OutOfRange_Throw(double ratio) =>
        Assert.Throws<ArgumentException>(() => new RandomSelector(new RandomSelectorOptions { KeepRatio = ratio }));
}
