using System.Text.Json.Nodes;
using SafeAlign.Cli;
using SafeAlign.Cli.Files;
using SafeAlign.Data;
using SafeAlign.Scoring;
using SafeAlign.Tests.Defenses;

namespace SafeAlign.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class ScoreTokensCommandTests(CliFixture fixture)
{
    [Fact]
    [Trait("Category", "Slow")]
    public void ScoreTokens_Toss_WritesAMaskForTheDataAndARiskReport()
    {
        string mask = fixture.NewPath("mask") + ".jsonl";

        var run = fixture.Run("score-tokens", "--model", fixture.ModelFolder, "--data", fixture.World("user-sst2.jsonl"),
            "--reference", fixture.World("alignment-harmful.jsonl"), "--utility", fixture.World("alignment-utility.jsonl"),
            "--scorer", "toss", "--ratio", "0.2", "--out", mask);

        Assert.True(run.Code == ExitCodes.Ok, run.ToString());
        var loaded = TokenMask.Load(mask);
        var rows = new DataLoader().Load(fixture.World("user-sst2.jsonl"), new InstructionRowFormat()).Examples;
        // The mask is tied to the data as the fine-tuning job tokenises it (SafeAlign.Pipeline.Finetuning.MaxLength, default 128).
        loaded.Check(SafeAlign.Cli.Commands.ScoreTokensCommand.Tokenize(DefenseFixture.Tokenizer(), 128, rows));
        Assert.Equal("toss", loaded.Scorer);
        Assert.Equal(Math.Round(0.2 * loaded.ResponseTokens), loaded.DiscardedTokens, 1.0);

        var summary = run.Json;
        Assert.Equal(loaded.DiscardedTokens, (long)summary["masked_tokens"]!);
        Assert.Equal(2, (int)summary["mask_quality"]!["harmful_samples"]!); // the rows' harmful flags are the ground truth
        var report = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(mask, ".report.json")))!;
        var histogram = report["report"]!["histogram"]!.AsArray();
        Assert.Equal(loaded.ResponseTokens, histogram.Sum(b => (long)b!["count"]!));
        Assert.StartsWith("# Token risk report (toss)", File.ReadAllText(Path.ChangeExtension(mask, ".report.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void ScoreTokens_TossWithoutReferences_IsAUsageError()
    {
        var run = fixture.Run("score-tokens", "--model", fixture.ModelFolder, "--data", fixture.World("user-sst2.jsonl"), "--scorer", "toss",
            "--out", fixture.NewPath("mask") + ".jsonl");

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains("Reference", run.Error, StringComparison.Ordinal);
    }
}
