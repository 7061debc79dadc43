using System.Text.Json.Nodes;
using SafeAlign.Cli;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using TorchSharp;

namespace SafeAlign.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class AlignCommandTests(CliFixture fixture)
{
    [Fact]
    public void Align_Sft_SavesAPeftAdapterAReportAndAMergedFolderThatMatchesIt()
    {
        string adapter = fixture.NewPath("aligned"), merged = fixture.NewPath("merged");

        var run = fixture.Run("align", "--model", fixture.ModelFolder, "--data", fixture.World("alignment.jsonl"),
            "--benign", fixture.World("alignment-benign.jsonl"), "--utility", fixture.World("alignment-utility.jsonl"),
            "--defense", "sft", "--out", adapter, "--merge", merged);

        Assert.True(run.Code == ExitCodes.Ok, run.ToString());
        var config = PeftAdapter.ReadConfig(adapter);
        Assert.Equal(4, config.Rank); // the settings file's Sft.LoraRank
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, "alignment-report.json")))!;
        Assert.Equal("sft", (string?)report["defense"]);
        Assert.Equal(64 + 16 + 32, (int)report["examples_per_epoch"]!);
        Assert.Equal(7, (int)report["training"]!["steps"]!); // ⌈112 / 16⌉, one epoch
        Assert.All(report["training"]!["losses"]!.AsArray(), l => Assert.True(double.IsFinite((double)l!)));

        // Base + adapter (merged by the library) computes what the merged folder computes.
        var options = new ModelOptions { Device = new() { Device = "cpu" } };
        using var reference = CausalLM.FromPretrained(fixture.ModelFolder, options);
        PeftAdapter.Load(reference, adapter);
        reference.MergeAndDetachLora();
        using var saved = CausalLM.FromPretrained(merged, options);
        using var scope = torch.NewDisposeScope();
        var ids = torch.tensor(new long[] { 1, 5, 9, 30, 7, 2 }).view(1, -1);
        using var noGrad = torch.no_grad();
        Assert.True(reference.Forward(ids).allclose(saved.Forward(ids), rtol: 1e-5, atol: 1e-6));
        // ... and differs from the unaligned base: training changed the weights.
        using var unaligned = CausalLM.FromPretrained(fixture.ModelFolder, options);
        Assert.False(unaligned.Forward(ids).allclose(saved.Forward(ids), rtol: 1e-5, atol: 1e-6));
        Assert.True(File.Exists(Path.Combine(merged, "tokenizer.json")));
    }

    [Fact]
    public void Align_RepNoiseWithoutHarmfulRows_IsAUsageErrorNamingTheMissingData()
    {
        var run = fixture.Run("align", "--model", fixture.ModelFolder, "--data", fixture.World("alignment.jsonl"), "--defense", "repnoise",
            "--out", fixture.NewPath("aligned"));

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains("Harmful", run.Error, StringComparison.Ordinal);
    }
}
