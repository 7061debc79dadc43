using System.Text.Json.Nodes;
using SafeAlign.Cli;
using SafeAlign.Cli.Files;
using SafeAlign.Data;

namespace SafeAlign.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class SelectCommandTests(CliFixture fixture)
{
    [Fact]
    [Trait("Category", "Slow")]
    public void Select_Pharmacist_WritesKeptIndicesScoresAndRows()
    {
        // 16 rows, a few of them defective, keep Pharmacist's bilevel loop to two steps.
        string output = fixture.NewPath("select") + ".json", data = fixture.NewPath("alignment") + ".jsonl";
        var lines = File.ReadLines(fixture.World("alignment.jsonl")).ToList();
        File.WriteAllLines(data, lines.Where(l => l.Contains("\"clean\"", StringComparison.Ordinal)).Take(12)
            .Concat(lines.Where(l => !l.Contains("\"clean\"", StringComparison.Ordinal)).Take(4)));

        var run = fixture.Run("select", "--model", fixture.ModelFolder, "--data", data,
            "--harmful", fixture.World("alignment-harmful.jsonl"), "--validation", fixture.World("alignment-validation.jsonl"),
            "--selector", "pharmacist", "--ratio", "0.25", "--out", output);

        Assert.True(run.Code == ExitCodes.Ok, run.ToString());
        var result = JsonNode.Parse(File.ReadAllText(output))!.AsObject();
        int[] indices = [.. result["indices"]!.AsArray().Select(n => (int)n!)];
        double[] scores = [.. result["scores"]!.AsArray().Select(n => (double)n!)];
        Assert.Equal("pharmacist", (string?)result["selector"]);
        Assert.Equal(16, scores.Length);
        Assert.Equal(4, indices.Length); // round(0.25 · 16)
        Assert.Equal(indices.Order(), indices);
        Assert.Equal(indices.Length, indices.Distinct().Count());
        Assert.All(scores, s => Assert.True(double.IsFinite(s)));
        // The world's quality labels travel in the file, so the ranking is scored against them.
        double auc = (double)result["defect_auc"]!["all"]!;
        Assert.InRange(auc, 0, 1);

        // The rows file holds exactly the kept rows, in the input's format, labels included.
        var input = new DataLoader().Load(data, new AlignmentRowFormat()).Examples;
        var kept = new DataLoader().Load(Path.ChangeExtension(output, ".rows.jsonl"), new AlignmentRowFormat()).Examples;
        Assert.Equal(indices.Select(i => input[i]), kept, (a, b) => a.Example.Prompt == b.Example.Prompt && a.Example.Response == b.Example.Response && a.Quality == b.Quality);
        Assert.Equal(4, (int)run.Json["kept"]!);
    }

    [Fact]
    public void Select_Random_SameSeedSameRows_OtherSeedOtherRows()
    {
        int[] Select(string seed)
        {
            string output = fixture.NewPath("select") + ".json";
            var run = fixture.Run("select", "--model", fixture.ModelFolder, "--data", fixture.World("alignment.jsonl"), "--selector", "random",
                "--ratio", "0.5", "--seed", seed, "--out", output);
            Assert.True(run.Code == ExitCodes.Ok, run.ToString());
            return [.. JsonNode.Parse(File.ReadAllText(output))!["indices"]!.AsArray().Select(n => (int)n!)];
        }

        int[] first = Select("3");
        Assert.Equal(32, first.Length);
        Assert.Equal(first, Select("3"));
        Assert.NotEqual(first, Select("4"));
    }

    [Fact]
    public void Select_PharmacistWithoutValidationSet_IsAUsageErrorNamingWhatIsMissing()
    {
        var run = fixture.Run("select", "--model", fixture.ModelFolder, "--data", fixture.World("alignment.jsonl"),
            "--selector", "pharmacist", "--out", fixture.NewPath("select") + ".json");

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains("validation", run.Error, StringComparison.OrdinalIgnoreCase);
    }
}
