using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using SafeAlign.Cli;
using SafeAlign.Cli.Hosting;
using SafeAlign.Defenses;
using SafeAlign.DependencyInjection;
using SafeAlign.Pruning;
using SafeAlign.Scoring;
using SafeAlign.Selection;

namespace SafeAlign.Tests.Cli;

/// <summary>Exit codes and messages a user can act on; the stage names and seeds the tool passes to the library.</summary>
[Collection(CliCollection.Name)]
public sealed class CliErrorTests(CliFixture fixture)
{
    [Fact]
    public void NoCommand_UnknownOption_OrBadStageName_IsAUsageError()
    {
        var none = CliFixture.Invoke([]);
        var unknown = CliFixture.Invoke(["tokenize", "--model", fixture.ModelFolder, "--bogus"]);
        var stage = CliFixture.Invoke(["align", "--model", fixture.ModelFolder, "--data", "x.jsonl", "--defense", "nope", "--out", "o"]);
        var ratio = CliFixture.Invoke(["select", "--model", fixture.ModelFolder, "--data", "x.jsonl", "--selector", "random", "--ratio", "1.5", "--out", "o"]);
        var device = CliFixture.Invoke(["forward", "--model", fixture.ModelFolder, "--ids", "[1]", "--device", "tpu"]);

        Assert.All([none, unknown, stage, ratio, device], r => Assert.Equal(ExitCodes.Usage, r.Code));
        Assert.Contains("--bogus", unknown.Error, StringComparison.Ordinal);
        Assert.Contains("'nope'", stage.Error, StringComparison.Ordinal);
        Assert.Contains("--ratio is 1.5", ratio.Error, StringComparison.Ordinal);
        Assert.Contains("tpu", device.Error, StringComparison.Ordinal);
        Assert.Contains("safealign --help", none.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingDataFile_IsABadInputNamingTheFileAndOption()
    {
        string missing = fixture.NewPath("missing") + ".jsonl";

        var run = fixture.Run("align", "--model", fixture.ModelFolder, "--data", missing, "--defense", "sft", "--out", fixture.NewPath("aligned"));

        Assert.Equal(ExitCodes.BadInput, run.Code);
        Assert.Equal($"safealign align: bad input: {missing}: --data: file not found", run.Error.Trim());
    }

    [Fact]
    public void MalformedJsonlLine_IsABadInputNamingFileLineAndField()
    {
        string data = fixture.NewPath("broken") + ".jsonl";
        var lines = File.ReadLines(fixture.World("alignment.jsonl")).Take(3).ToList();
        lines.Insert(1, "{\"prompt\": \"how do i do it?\"}"); // line 2: no response
        lines.Add("{not json");                                  // line 5
        File.WriteAllLines(data, lines);

        var run = fixture.Run("align", "--model", fixture.ModelFolder, "--data", data, "--defense", "sft", "--out", fixture.NewPath("aligned"));

        Assert.Equal(ExitCodes.BadInput, run.Code);
        Assert.Contains($"{data}:2", run.Error, StringComparison.Ordinal);
        Assert.Contains("response", run.Error, StringComparison.Ordinal);
        Assert.Single(run.Error.Trim().Split('\n'));
    }

    [Fact]
    public void MissingModelFolder_OrFolderWithoutWeights_IsABadInputNamingTheFolder()
    {
        string missing = fixture.NewPath("nomodel"), empty = fixture.NewPath("empty");
        Directory.CreateDirectory(empty);
        File.Copy(Path.Combine(fixture.ModelFolder, "config.json"), Path.Combine(empty, "config.json"));

        var gone = CliFixture.Invoke(["forward", "--model", missing, "--ids", "[1, 2]"]);
        var noWeights = CliFixture.Invoke(["forward", "--model", empty, "--ids", "[1, 2]"]);
        var noTokenizer = CliFixture.Invoke(["tokenize", "--model", empty, "--text", "hi"]);

        Assert.All([gone, noWeights, noTokenizer], r => Assert.Equal(ExitCodes.BadInput, r.Code));
        Assert.Contains(missing, gone.Error, StringComparison.Ordinal);
        Assert.Contains("--model: folder not found", gone.Error, StringComparison.Ordinal);
        Assert.Contains(empty, noWeights.Error, StringComparison.Ordinal);
        Assert.Contains(empty, noTokenizer.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void SettingsFile_UnknownKeyOrWrongType_IsABadInputNamingTheKey()
    {
        string typo = fixture.NewPath("settings") + ".json", type = fixture.NewPath("settings") + ".json", nulled = fixture.NewPath("settings") + ".json";
        File.WriteAllText(typo, """{"SafeAlign": {"Sft": {"Epoch": 1}}}""");
        File.WriteAllText(type, """{"SafeAlign": {"Pipeline": {"Finetuning": {"LearningRate": "fast"}}}}""");
        File.WriteAllText(nulled, """{"UserData": {"Samples": null}}""");

        var unknown = CliFixture.Invoke(["world", "--out", fixture.NewPath("world"), "--settings", typo]);
        var wrong = CliFixture.Invoke(["world", "--out", fixture.NewPath("world"), "--settings", type]);
        var missing = CliFixture.Invoke(["world", "--out", fixture.NewPath("world"), "--settings", nulled]);

        Assert.Equal(ExitCodes.BadInput, unknown.Code);
        Assert.Contains("'SafeAlign.Sft.Epoch' is not a setting", unknown.Error, StringComparison.Ordinal);
        Assert.Contains("Epochs", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadInput, wrong.Code);
        Assert.Contains("'SafeAlign.Pipeline.Finetuning.LearningRate'", wrong.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadInput, missing.Code);
        Assert.Contains("'UserData.Samples' is null", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void SettingsFile_MergesObjectsAndReplacesValuesAndLists()
    {
        string path = fixture.NewPath("settings") + ".json";
        File.WriteAllText(path, """{"SafeAlign": {"TossPro": {"DiscardRatio": 0.3}, "Sft": {"TargetModules": ["q_proj"]}}}""");

        var settings = SettingsFile.Load(path);

        Assert.Equal(2, settings.SafeAlign.TossPro.Rounds); // the default of an object the file only touched
        Assert.Equal(0.3, settings.SafeAlign.TossPro.DiscardRatio);
        Assert.Equal(["q_proj"], settings.SafeAlign.Sft.TargetModules);
    }

    [Fact]
    public void Cancelled_ExitsWith130AndLeavesNoPartialFile()
    {
        string output = fixture.NewPath("world");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        var run = CliFixture.Invoke(["world", "--out", output, "--settings", fixture.Settings], cancellationToken: cancelled.Token);

        Assert.Equal(ExitCodes.Cancelled, run.Code);
        Assert.Contains("cancelled", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, "world.json")));
    }

    [Fact]
    public void StageNames_AreExactlyTheLibrarysKeyedRegistrations_AndEachResolves()
    {
        using var services = new ServiceCollection().AddSafeAlign().BuildServiceProvider();

        Assert.Contains("pharmacist", StageNames.Selectors);
        Assert.Contains("booster+vaccine", StageNames.Defenses);
        Assert.Contains("toss-pro", StageNames.Scorers);
        Assert.Contains("wanda-benign", StageNames.Pruners);
        Assert.All(StageNames.Selectors, n => Assert.Equal(n, services.GetRequiredKeyedService<IAlignmentDataSelector>(n).Name));
        // "booster+vaccine" is Booster with Vaccine's step: it reports the name "booster".
        Assert.All(StageNames.Defenses, n => Assert.StartsWith(services.GetRequiredKeyedService<IAlignmentDefense>(n).Name, n, StringComparison.Ordinal));
        Assert.All(StageNames.Scorers, n => Assert.Equal(n, services.GetRequiredKeyedService<ITokenRiskScorer>(n).Name));
        Assert.All(StageNames.Pruners, n => Assert.Equal(n, services.GetRequiredKeyedService<IPostFinetunePruner>(n).Name));
    }

    [Fact]
    public void ApplySeed_ReachesEveryStageOptionsThatHasASeed()
    {
        var settings = new CliSettings();

        CommandContext.ApplySeed(settings, 1234);

        var seeded = typeof(SafeAlignOptions).GetProperties()
            .Select(p => p.GetValue(settings.SafeAlign))
            .Where(o => o?.GetType().GetProperty("Seed", BindingFlags.Public | BindingFlags.Instance) is not null)
            .ToList();
        Assert.True(seeded.Count >= 13);
        Assert.All(seeded, o => Assert.Equal(1234L, o!.GetType().GetProperty("Seed")!.GetValue(o)));
        Assert.Equal(1234L, settings.SafeAlign.Pipeline.Finetuning.Seed);
        Assert.Equal(1234L, settings.World.Seed);
    }
}
