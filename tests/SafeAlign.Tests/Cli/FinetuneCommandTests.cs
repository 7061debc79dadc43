using System.Text.Json.Nodes;
using SafeAlign.Cli;
using SafeAlign.Models.Lora;

namespace SafeAlign.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class FinetuneCommandTests(CliFixture fixture)
{
    [Fact]
    public void Finetune_WithMaskAndLisa_TrainsAFreshAdapterOnTheMaskedData()
    {
        string mask = fixture.NewPath("mask") + ".jsonl", output = fixture.NewPath("user");
        var scored = fixture.Run("score-tokens", "--model", fixture.ModelFolder, "--data", fixture.World("user-sst2.jsonl"),
            "--scorer", "random-tokens", "--ratio", "0.5", "--out", mask);
        Assert.True(scored.Code == ExitCodes.Ok, scored.ToString());

        var run = fixture.Run("finetune", "--model", fixture.ModelFolder, "--data", fixture.World("user-sst2.jsonl"), "--mask", mask,
            "--lisa", fixture.World("alignment.jsonl"), "--out", output);

        Assert.True(run.Code == ExitCodes.Ok, run.ToString());
        var config = PeftAdapter.ReadConfig(output);
        Assert.Equal(4, config.Rank); // the settings file's SafeAlign.Pipeline.Finetuning.LoraRank
        Assert.Equal(LoraConfig.AllProjections.Order(), config.TargetModules.Order());
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "finetune-report.json")))!;
        Assert.Equal(8, (int)report["samples"]!);
        Assert.Equal(2, (int)report["harmful_samples"]!);
        Assert.Equal("lisa", (string?)report["finetuning_defense"]);
        Assert.Equal((long)scored.Json["masked_tokens"]!, (long)report["mask"]!["discarded_tokens"]!);
        Assert.Equal(2, (int)report["training"]!["steps"]!); // 8 samples, batch 4, one epoch
    }

    [Fact]
    public void Finetune_MaskOfOtherData_IsABadInputNamingTheMask()
    {
        string mask = fixture.NewPath("mask") + ".jsonl";
        var scored = fixture.Run("score-tokens", "--model", fixture.ModelFolder, "--data", fixture.World("tasks/sst2-train.jsonl"),
            "--scorer", "random-tokens", "--out", mask);
        Assert.True(scored.Code == ExitCodes.Ok, scored.ToString());

        var run = fixture.Run("finetune", "--model", fixture.ModelFolder, "--data", fixture.World("user-sst2.jsonl"), "--mask", mask,
            "--out", fixture.NewPath("user"));

        Assert.Equal(ExitCodes.BadInput, run.Code);
        Assert.Contains(mask, run.Error, StringComparison.Ordinal);
        Assert.Contains("does not fit", run.Error, StringComparison.Ordinal);
    }
}
