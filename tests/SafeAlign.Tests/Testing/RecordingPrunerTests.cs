using SafeAlign.Pruning;
using SafeAlign.Testing;

namespace SafeAlign.Tests.Testing;

public sealed class RecordingPrunerTests
{
    [Fact]
    public async Task Arguments_Invalid_Throw()
    {
        Assert.Throws<ArgumentException>(() => new RecordingPruner(" "));
        var pruner = new RecordingPruner();
        await Assert.ThrowsAsync<ArgumentNullException>(() => pruner.PruneAsync(null!));
        await Assert.ThrowsAsync<ArgumentException>(() => pruner.PruneAsync(new PruningRequest(StageFixture.Tiny.Model, StageFixture.Tiny.Tokenizer, null!)));
        Assert.Empty(pruner.Requests);
    }

    [Fact]
    public async Task Prune_LeavesTheModelUntouched_ReportsNothingPruned_AndRecords()
    {
        var tiny = StageFixture.Tiny;
        using var model = tiny.CreateModel();
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var pruner = new RecordingPruner("noop");
        var request = tiny.PruningRequest(model);

        using var result = await pruner.PruneAsync(request);

        Assert.Equal("noop", result.Pruner);
        Assert.Equal(0, result.PrunedWeights);
        Assert.Empty(result.Matrices);
        Assert.All(model.named_parameters(), p => Assert.True(before[p.name].allclose(p.parameter, rtol: 0, atol: 0)));
        Assert.Same(request, Assert.Single(pruner.Requests));
        foreach (var t in before.Values)
            t.Dispose();
    }
}
