using SafeAlign.Defenses;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Testing;
using SafeAlign.Training;
using TorchSharp;

namespace SafeAlign.Tests.Testing;

public sealed class RecordingDefenseTests
{
    [Fact]
    public async Task Arguments_Invalid_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecordingDefense(trainSteps: -1));
        Assert.Throws<ArgumentException>(() => new RecordingDefense(name: ""));
        Assert.ThrowsAny<ArgumentException>(() => new RecordingDefense(adapter: new LoraConfig { Rank = 0 }));
        var defense = new RecordingDefense();
        await Assert.ThrowsAsync<ArgumentNullException>(() => defense.AlignAsync(null!));
        using var model = StageFixture.Tiny.CreateModel();
        model.AttachLora(defense.Adapter);
        var withAdapter = StageFixture.Tiny.AlignmentRequest(model);
        Assert.Contains("adapter", (await Assert.ThrowsAsync<ArgumentException>(() => defense.AlignAsync(withAdapter))).Message, StringComparison.Ordinal);
        Assert.Empty(defense.Requests);
    }

    [Fact]
    public async Task Align_NoSteps_AttachesAnAdapterThatChangesNothing()
    {
        var tiny = StageFixture.Tiny;
        using var model = tiny.CreateModel();
        var ids = Ids(tiny);
        using var before = model.Forward(ids).detach().clone();
        var defense = new RecordingDefense();
        var request = tiny.AlignmentRequest(model);

        var result = await defense.AlignAsync(request);

        Assert.Equal("recording", result.Defense);
        Assert.NotNull(model.Lora);
        Assert.Equal(0, result.Training.Steps);
        Assert.Equal(request.Data.SupervisedItems().Count(), result.Examples);
        Assert.True(before.allclose(model.Forward(ids), rtol: 0, atol: 0));
        Assert.Same(request, Assert.Single(defense.Requests));
    }

    [Fact]
    public async Task Align_FewSteps_TrainsTheAdapterOnly()
    {
        var tiny = StageFixture.Tiny;
        using var model = tiny.CreateModel();
        var ids = Ids(tiny);
        using var before = model.Forward(ids).detach().clone();
        var progress = new List<TrainingProgress>();

        var result = await new RecordingDefense(trainSteps: 3).AlignAsync(tiny.AlignmentRequest(model), new SyncProgress(progress));

        Assert.Equal(3, result.Training.Steps);
        Assert.Equal(3, result.Training.Losses.Count);
        Assert.NotEmpty(progress);
        Assert.False(before.allclose(model.Forward(ids)));
        model.DetachLora();
        Assert.True(before.allclose(model.Forward(ids), rtol: 0, atol: 0)); // the base weights were frozen
    }

    [Fact]
    public async Task Align_Cancelled_LeavesNoAdapter()
    {
        using var model = StageFixture.Tiny.CreateModel();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new RecordingDefense(trainSteps: 2).AlignAsync(StageFixture.Tiny.AlignmentRequest(model), cancellationToken: cancelled.Token));

        Assert.Null(model.Lora);
    }

    private static torch.Tensor Ids(TinySafetyWorld tiny) =>
        torch.tensor(tiny.Tokenizer.Encode(tiny.HarmfulPrompts[0]).Select(i => (long)i).ToArray()).unsqueeze(0);

    private sealed class SyncProgress(List<TrainingProgress> items) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => items.Add(value);
    }
}
