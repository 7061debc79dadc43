using SafeAlign.Defenses;
using SafeAlign.Defenses.Vaccine;
using SafeAlign.Models.Lora;
using TorchSharp;

namespace SafeAlign.Tests.Defenses;

public sealed class VaccineDefenseTests
{
    private static VaccineOptions Fast() => new() { Epochs = 3, BatchSize = 16, MaxLength = 128, LearningRate = 5e-3, Seed = 3 };

    [Fact]
    public void Options_Defaults_FollowTheReference()
    {
        var options = new VaccineOptions();
        Assert.Equal(2, options.Rho);
        Assert.Equal("vaccine", new VaccineDefense().Name);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Align_TrainsTheAdapter_AndLossFalls()
    {
        using var model = DefenseFixture.Model();
        var before = DefenseFixture.Snapshot(model);

        var result = await new VaccineDefense(Fast()).AlignAsync(new AlignmentRequest(model, DefenseFixture.Tokenizer(), DefenseFixture.Data()));

        Assert.Equal("vaccine", result.Defense);
        Assert.NotNull(model.Lora);
        Assert.True(model.Taps.IsEmpty);
        Assert.Equal(3 * ((88 + 15) / 16), result.Training.Steps);
        Assert.True(result.Training.Losses[^1] < result.Training.Losses[0], $"loss {result.Training.Losses[0]} → {result.Training.Losses[^1]}");
        Assert.True(result.Training.PeakWorkingSetBytes > 0);
        foreach (var (name, parameter) in model.named_parameters().Where(p => !p.name.Contains("lora", StringComparison.Ordinal)))
            Assert.True(torch.allclose(before[name], parameter, 0, 0), name);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Align_SameSeed_SameAdapter()
    {
        async Task<Dictionary<string, torch.Tensor>> Run()
        {
            using var model = DefenseFixture.Model();
            await new VaccineDefense(Fast()).AlignAsync(new AlignmentRequest(model, DefenseFixture.Tokenizer(), DefenseFixture.Data()));
            return PeftAdapter.StateDict(model).ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        }
        var first = await Run();
        var second = await Run();

        Assert.Equal(first.Keys.Order(), second.Keys.Order());
        Assert.All(first, kv => Assert.True(torch.allclose(kv.Value, second[kv.Key], 0, 0), kv.Key));
    }
}
