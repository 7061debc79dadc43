using SafeAlign.Models;
using SafeAlign.Native;
using SafeAlign.Models.Lora;
using TorchSharp;

namespace SafeAlign.Tests.Models;

/// <summary><see cref="CausalLM.SavePretrained"/> writes what <see cref="CausalLM.FromPretrained"/> reads back.</summary>
public sealed class SavePretrainedTests
{
    private static readonly ModelOptions CpuFp32 = new() { Device = new DeviceOptions { Device = "cpu" }, ComputeDtype = torch.ScalarType.Float32 };

    [Theory]
    [InlineData(ModelArchitecture.Llama, false)]
    [InlineData(ModelArchitecture.Qwen2, true)]
    public void SaveThenLoad_GivesTheSameLogits(ModelArchitecture architecture, bool tied)
    {
        using var scope = torch.NewDisposeScope();
        using var temp = new TempDirectory();
        using var model = TinyModels.Create(seed: 5, architecture, tied);
        string folder = Path.Combine(temp.Path, "nested", "model");

        model.SavePretrained(folder);
        using var loaded = CausalLM.FromPretrained(folder, CpuFp32);

        Assert.Equal(["config.json", "model.safetensors"], Directory.GetFiles(folder).Select(f => Path.GetFileName(f)!).Order().ToArray());
        Assert.Equal(model.Config.ToJson(), loaded.Config.ToJson());
        using var noGrad = torch.no_grad();
        var ids = TinyModels.Ids(3);
        Assert.True(model.Forward(ids).equal(loaded.Forward(ids)).all().item<bool>());
    }

    [Fact]
    public void AttachedAdapter_IsRejected_AndNothingIsWritten()
    {
        using var temp = new TempDirectory();
        using var model = TinyModels.Create();
        model.AttachLora(new LoraConfig { Rank = 2, Alpha = 4, TargetModules = ["q_proj"] });
        string folder = Path.Combine(temp.Path, "model");

        var error = Assert.Throws<InvalidOperationException>(() => model.SavePretrained(folder));

        Assert.Contains("MergeAndDetachLora", error.Message);
        Assert.False(Directory.Exists(folder));
    }
}
