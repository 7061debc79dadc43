using System.Text.Json.Nodes;
using SafeAlign.Cli;
using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Models.Generation;
using SafeAlign.Tests.Defenses;

namespace SafeAlign.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class EvaluateCommandTests(CliFixture fixture)
{
    [Fact]
    public async Task Evaluate_AllThreeMeasures_MatchTheLibrarysEvaluatorWithIntervalsAndDump()
    {
        string output = fixture.NewPath("eval") + ".json", dump = fixture.NewPath("dump") + ".jsonl";

        var run = fixture.Run("evaluate", "--model", fixture.ModelFolder, "--harmful", fixture.World("harmful-test.jsonl"),
            "--benign", fixture.World("benign-test.jsonl"), "--task", fixture.World("tasks/sst2-test.jsonl"), "--task-name", "sst2",
            "--out", output, "--dump", dump);

        Assert.True(run.Code == ExitCodes.Ok, run.ToString());
        var result = JsonNode.Parse(File.ReadAllText(output))!;
        var world = DefenseFixture.World();
        using var model = CausalLM.FromPretrained(fixture.ModelFolder, new ModelOptions { Device = new() { Device = "cpu" } });
        var tokenizer = DefenseFixture.Tokenizer();
        var evaluator = new SafetyEvaluator(new RefusalPatternJudge(), new GenerationOptions { MaxNewTokens = 8 }, 8);
        var hs = await evaluator.HarmfulScoreAsync(model, tokenizer, [.. world.HarmfulTest.Select(h => h.Prompt)]);
        var refusal = await evaluator.OverRefusalAsync(model, tokenizer, [.. world.BenignTest.Select(b => b.Prompt)]);
        var accuracy = await evaluator.AccuracyAsync(model, tokenizer, world.TaskTest["sst2"]);

        AssertRate(hs.Estimate, result["harmful_score"]!);
        AssertRate(refusal.Estimate, result["over_refusal"]!);
        AssertRate(accuracy.Estimate, result["accuracy"]!);
        Assert.Equal(["sst2"], result["accuracy"]!["tasks"]!.AsArray().Select(t => (string?)t));

        var lines = File.ReadLines(dump).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(8 + 8 + 4, lines.Count);
        Assert.Equal(hs.Items.Select(i => i.Response), lines.Where(l => (string?)l["measure"] == "harmful_score").Select(l => (string?)l["response"]));
        Assert.Equal(hs.Estimate.Count, lines.Count(l => (string?)l["measure"] == "harmful_score" && (bool)l["flagged"]!));
    }

    [Fact]
    public void Evaluate_Limit_TakesTheFirstRowsAndLeavesUnmeasuredRatesNull()
    {
        string output = fixture.NewPath("eval") + ".json";

        var run = fixture.Run("evaluate", "--model", fixture.ModelFolder, "--harmful", fixture.World("harmful-test.jsonl"), "--limit", "3", "--out", output);

        Assert.True(run.Code == ExitCodes.Ok, run.ToString());
        Assert.Equal(3, (int)run.Json["harmful_score"]!["total"]!);
        Assert.Null(run.Json["over_refusal"]);
        Assert.Null(run.Json["accuracy"]);
    }

    private static void AssertRate(RateEstimate expected, JsonNode actual)
    {
        Assert.Equal(expected.Count, (int)actual["count"]!);
        Assert.Equal(expected.Total, (int)actual["total"]!);
        Assert.Equal(expected.Percent, (double)actual["percent"]!, 9);
        var (low, high) = expected.Interval95;
        Assert.Equal(low, (double)actual["ci95_low"]!, 9);
        Assert.Equal(high, (double)actual["ci95_high"]!, 9);
        Assert.InRange(expected.Rate, low, high);
    }
}
