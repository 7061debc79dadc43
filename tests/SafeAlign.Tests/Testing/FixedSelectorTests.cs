using SafeAlign.Testing;

namespace SafeAlign.Tests.Testing;

public sealed class FixedSelectorTests
{
    [Fact]
    public async Task Arguments_Invalid_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new FixedSelector(null!));
        Assert.Throws<ArgumentException>(() => new FixedSelector([3, -1]));
        Assert.Throws<ArgumentException>(() => new FixedSelector([1], name: " "));
        Assert.Throws<ArgumentOutOfRangeException>(() => FixedSelector.First(-1));
        await Assert.ThrowsAsync<ArgumentNullException>(() => new FixedSelector([1]).SelectAsync(null!));
        var beyond = new FixedSelector([2, 64]);
        Assert.Contains("64", (await Assert.ThrowsAsync<ArgumentException>(() => beyond.SelectAsync(StageFixture.Tiny.SelectionRequest()))).Message, StringComparison.Ordinal);
        Assert.Empty(beyond.Requests);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new FixedSelector([1]).SelectAsync(StageFixture.Tiny.SelectionRequest(), cancellationToken: cancelled.Token));
    }

    [Fact]
    public async Task Select_GivenIndices_KeepsThemAscendingWithScoresOneAndRecordsTheRequest()
    {
        var selector = new FixedSelector([9, 2, 9, 40], name: "mine");
        var request = StageFixture.Tiny.SelectionRequest();
        var messages = new List<string>();

        var selection = await selector.SelectAsync(request, new Progress(messages));

        Assert.Equal("mine", selection.Selector);
        Assert.Equal([2, 9, 40], selection.Indices);
        Assert.Equal(request.Data.Safety.Count, selection.Scores.Count);
        Assert.Equal(3, selection.Scores.Sum());
        Assert.All(selection.Indices, i => Assert.Equal(1, selection.Scores[i]));
        Assert.Same(request, Assert.Single(selector.Requests));
        Assert.Single(messages);
    }

    [Fact]
    public async Task First_K_KeepsTheFirstRows_OrAllWhenFewer()
    {
        var request = StageFixture.Tiny.SelectionRequest();
        int rows = request.Data.Safety.Count;

        Assert.Equal([0, 1, 2, 3, 4], (await FixedSelector.First(5).SelectAsync(request)).Indices);
        Assert.Equal(Enumerable.Range(0, rows), (await FixedSelector.First(rows + 10).SelectAsync(request)).Indices);
        Assert.Empty((await FixedSelector.First(0).SelectAsync(request)).Indices);
    }

    private sealed class Progress(List<string> messages) : IProgress<string>
    {
        public void Report(string value) => messages.Add(value);
    }
}
