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
    public void Evaluate_CsvPromptsWithLimit_MeasureTheFirstRowsLikeTheJsonlFile_AndLeaveUnmeasuredRatesNull()
    {
        string csv = fixture.NewPath("prompts") + ".csv";
        var prompts = DefenseFixture.World().HarmfulTest.Select(h => h.Prompt).ToList();
        File.WriteAllLines(csv, ["id,prompt", .. prompts.Select((p, i) => $"{i},\"{p.Replace("\"", "\"\"", StringComparison.Ordinal)}\"")]);

        var fromJsonl = fixture.Run("evaluate", "--model", fixture.ModelFolder, "--harmful", fixture.World("harmful-test.jsonl"), "--limit", "3",
            "--out", fixture.NewPath("eval") + ".json", "--dump", fixture.NewPath("dump") + ".jsonl");
        string dump = fixture.NewPath("dump") + ".jsonl";
        var fromCsv = fixture.Run("evaluate", "--model", fixture.ModelFolder, "--harmful", csv, "--limit", "3", "--out", fixture.NewPath("eval") + ".json", "--dump", dump);

        Assert.True(fromCsv.Code == ExitCodes.Ok, fromCsv.ToString());
        Assert.Equal(3, (int)fromCsv.Json["harmful_score"]!["total"]!);
        Assert.Equal(fromJsonl.Json["harmful_score"]!.ToJsonString(), fromCsv.Json["harmful_score"]!.ToJsonString());
        Assert.Equal(prompts.Take(3), File.ReadLines(dump).Select(l => (string?)JsonNode.Parse(l)!["prompt"]));
        Assert.Null(fromCsv.Json["over_refusal"]);
        Assert.Null(fromCsv.Json["accuracy"]);
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
