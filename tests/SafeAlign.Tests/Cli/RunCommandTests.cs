using System.Text.Json;
using System.Text.Json.Nodes;
using SafeAlign.Cli;

namespace SafeAlign.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class RunCommandTests(CliFixture fixture)
{
    // The fixture's tiny settings plus the pipeline's stage names and a Run section with paths relative to the config file.
    private string WriteConfig(Action<JsonObject>? edit = null)
    {
        var config = JsonNode.Parse(CliFixture.SettingsJson, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        var pipeline = config["SafeAlign"]!["Pipeline"]!.AsObject();
        pipeline["Selector"] = "random";
        pipeline["Defense"] = "sft";
        pipeline["Scorer"] = "random-tokens";
        pipeline["Pruner"] = "magnitude";
        string folder = fixture.NewPath("config");
        Directory.CreateDirectory(folder);
        string world = Path.GetRelativePath(folder, fixture.WorldFolder), model = Path.GetRelativePath(folder, fixture.ModelFolder);
        config["Run"] = new JsonObject
        {
            ["Model"] = model,
            ["Alignment"] = Path.Combine(world, "alignment.jsonl"),
            ["Benign"] = Path.Combine(world, "alignment-benign.jsonl"),
            ["Harmful"] = Path.Combine(world, "alignment-harmful.jsonl"),
            ["UserData"] = Path.Combine(world, "user-sst2.jsonl"),
            ["HarmfulTest"] = Path.Combine(world, "harmful-test.jsonl"),
            ["BenignTest"] = Path.Combine(world, "benign-test.jsonl"),
            ["TaskTest"] = Path.Combine(world, "tasks", "sst2-test.jsonl"),
            ["TaskName"] = "sst2",
            ["Out"] = "run",
        };
        edit?.Invoke(config);
        string path = Path.Combine(folder, "run.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    [Fact]
    public void Run_FromAConfig_RunsEveryStage_ThenResumesTheFolder()
    {
        string config = WriteConfig();

        var first = CliFixture.Invoke(["run", "--config", config]);
        var second = CliFixture.Invoke(["run", "--config", config]);

        Assert.True(first.Code == ExitCodes.Ok, first.ToString());
        var stages = first.Json["stages"]!.AsArray();
        Assert.Equal(["random", "sft", "random-tokens", "lora", "magnitude", "evaluator"], stages.Select(s => (string)s!["implementation"]!));
        Assert.All(stages, s => Assert.False((bool)s!["reused"]!));
        Assert.Equal(8, (int)first.Json["final"]!["harmful_score"]!["total"]!);
        Assert.Equal(4, (int)first.Json["final"]!["accuracy"]!["total"]!);
        string runFolder = Path.Combine(Path.GetDirectoryName(config)!, "run");
        Assert.Equal(runFolder, (string)first.Json["run"]!);
        Assert.True(File.Exists(Path.Combine(runFolder, "summary.json")));
        Assert.True(File.Exists(Path.Combine(runFolder, "pruned-adapter", "adapter_model.safetensors")));

        Assert.True(second.Code == ExitCodes.Ok, second.ToString());
        Assert.All(second.Json["stages"]!.AsArray(), s => Assert.True((bool)s!["reused"]!));
        Assert.Equal(first.Json["final"]!.ToJsonString(), second.Json["final"]!.ToJsonString());
    }

    [Fact]
    public void Run_WithoutAModel_IsABadInputNamingTheConfigAndKey()
    {
        string config = WriteConfig(c => c["Run"]!.AsObject().Remove("Model"));

        var run = CliFixture.Invoke(["run", "--config", config]);

        Assert.Equal(ExitCodes.BadInput, run.Code);
        Assert.Contains(config, run.Error, StringComparison.Ordinal);
        Assert.Contains("Run.Model", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WithAnUnknownStage_IsAUsageErrorNamingTheSetting()
    {
        string config = WriteConfig(c => c["SafeAlign"]!["Pipeline"]!["Pruner"] = "no-such-pruner");

        var run = CliFixture.Invoke(["run", "--config", config]);

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains("SafeAlign:Pipeline:Pruner", run.Error, StringComparison.Ordinal);
        Assert.Contains("no-such-pruner", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WithSettingsToo_IsAUsageError()
    {
        var run = CliFixture.Invoke(["run", "--config", WriteConfig(), "--settings", fixture.Settings]);

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains("--config", run.Error, StringComparison.Ordinal);
    }
}
