using SafeAlign.Defenses;
using SafeAlign.Defenses.Sft;
using SafeAlign.Training;
using TorchSharp;

namespace SafeAlign.Tests.Defenses;

public sealed class SftDefenseTests
{
    private static SftOptions Fast() => new() { Epochs = 3, BatchSize = 16, MaxLength = 128, LearningRate = 5e-3, Seed = 3 };

    [Fact]
    public async Task Align_TrainsOnlyTheAdapter_AndLossFalls()
    {
        using var model = DefenseFixture.Model();
        var before = DefenseFixture.Snapshot(model);

        var result = await new SftDefense(Fast()).AlignAsync(new AlignmentRequest(model, DefenseFixture.Tokenizer(), DefenseFixture.Data()));

        Assert.Equal("sft", result.Defense);
        Assert.NotNull(model.Lora);
        Assert.Equal(64 + 16 + 8, result.Examples);
        Assert.Equal(3 * ((88 + 15) / 16), result.Training.Steps);
        Assert.True(result.Training.Losses[^1] < result.Training.Losses[0], $"loss {result.Training.Losses[0]} → {result.Training.Losses[^1]}");
        // The base weights stay frozen: only the adapter moved.
        foreach (var (name, parameter) in model.named_parameters().Where(p => !p.name.Contains("lora", StringComparison.Ordinal)))
            Assert.True(torch.allclose(before[name], parameter, 0, 0), name);
    }

    [Fact]
    public async Task Align_SameSeed_SameAdapter()
    {
        async Task<Dictionary<string, torch.Tensor>> Run()
        {
            using var model = DefenseFixture.Model();
            await new SftDefense(Fast()).AlignAsync(new AlignmentRequest(model, DefenseFixture.Tokenizer(), DefenseFixture.Data()));
            return SafeAlign.Models.Lora.PeftAdapter.StateDict(model).ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        }
        var first = await Run();
        var second = await Run();

        Assert.Equal(first.Keys.Order(), second.Keys.Order());
        Assert.All(first, kv => Assert.True(torch.allclose(kv.Value, second[kv.Key], 0, 0), kv.Key));
    }

    [Fact]
    public async Task Align_Cancelled_LeavesNoAdapter()
    {
        using var model = DefenseFixture.Model();
        using var cancel = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new SftDefense(new SftOptions { Epochs = 5, BatchSize = 8, MaxLength = 128, LogEvery = 1 })
                .AlignAsync(new AlignmentRequest(model, DefenseFixture.Tokenizer(), DefenseFixture.Data()), new SyncProgress(() => cancel.Cancel()), cancel.Token));
        Assert.Null(model.Lora);
    }

    [Fact]
    public async Task Align_BadInput_Throws()
    {
        using var model = DefenseFixture.Model();
        var tokenizer = DefenseFixture.Tokenizer();
        var defense = new SftDefense(Fast());

        await Assert.ThrowsAsync<ArgumentException>(() => defense.AlignAsync(new AlignmentRequest(model, tokenizer, DefenseFixture.Data().WithSafety([]))));
        model.AttachLora(new SafeAlign.Models.Lora.LoraConfig());
        var attached = await Assert.ThrowsAsync<ArgumentException>(() => defense.AlignAsync(new AlignmentRequest(model, tokenizer, DefenseFixture.Data())));
        Assert.Contains("already has a LoRA", attached.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new SftDefense(new SftOptions { LearningRate = -1 }));
        Assert.Throws<ArgumentException>(() => new SftDefense(new SftOptions { TargetModules = [] }));
    }

    /// <summary>Reports on the calling thread, so a test can cancel at a known step.</summary>
    private sealed class SyncProgress(Action onReport) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => onReport();
    }
}
