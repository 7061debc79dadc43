using System.Text.Json.Nodes;
using SafeAlign.Cli;
using SafeAlign.Models;
using SafeAlign.Models.Safetensors;
using SafeAlign.Tests.Defenses;

namespace SafeAlign.Tests.Cli;

/// <summary>The CLI tests share one fixture: they run in-process, one at a time, on the same tiny model folder and world export.</summary>
[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Cli";
}

/// <summary>What a CLI run left: its exit code, stdout and stderr.</summary>
public sealed record CliResult(int Code, string Out, string Error)
{
    /// <summary>stdout parsed as JSON.</summary>
    public JsonObject Json => JsonNode.Parse(Out)?.AsObject() ?? throw new InvalidOperationException("stdout is empty");

    public override string ToString() => $"exit {Code}\nstdout: {Out}\nstderr: {Error}";
}

/// <summary>
/// A tiny Hugging Face model folder (the defense fixture's 2-layer model and its tokenizer), the defense fixture's world exported
/// by the <c>world</c> command, and a settings file that shrinks every stage to a few steps, so each command runs in seconds.
/// </summary>
public sealed class CliFixture : IDisposable
{
    /// <summary>Seed of the exported world: the defense fixture's, so its tokenizer covers the world's text.</summary>
    public const string WorldSeed = "5";

    public const string SettingsJson = """
        {
          // The defense fixture's world sizes.
          "World": { "PretrainingSize": 200, "AlignmentSize": 64, "AlignmentBenignSize": 16, "AttackPoolSize": 16,
                     "HarmfulTestSize": 8, "BenignTestSize": 8, "TaskTrainSize": 8, "TaskTestSize": 4 },
          "SafeAlign": {
            "Device": { "Device": "cpu" },
            "Sft": { "Epochs": 1, "BatchSize": 16, "LoraRank": 4, "LoraAlpha": 8 },
            "RepNoise": { "Epochs": 1, "BatchSize": 16, "LoraRank": 4, "LoraAlpha": 8 },
            "Pharmacist": { "Epochs": 1, "BatchSize": 8, "HarmfulBatchSize": 4, "ValidationBatchSize": 4, "ValidationSize": 8,
                            "LoraRank": 4, "LoraAlpha": 8 },
            "Toss": { "HarmfulReferenceSamples": 16, "UtilityReferenceSamples": 8, "LoraRank": 4, "LoraAlpha": 8, "BatchSize": 8,
                      "Epochs": 1, "LearningRate": 0.01, "ScoringBatchSize": 8 },
            "Antidote": { "MaxCalibrationSamples": 16, "BatchSize": 8 },
            "Lisa": { "AlignmentSteps": 1, "FinetuneSteps": 1 },
            "Pipeline": { "Finetuning": { "BatchSize": 4, "LearningRate": 0.005, "LoraRank": 4, "LoraAlpha": 8 } },
          },
          "UserData": { "Samples": 8, "HarmfulRatio": 0.25 },
          "Evaluation": { "MaxNewTokens": 8, "BatchSize": 8 },
        }
        """;

    private readonly TempDirectory _root = new();
    private int _folders;

    public CliFixture()
    {
        Settings = _root.File("settings.json");
        File.WriteAllText(Settings, SettingsJson);
        ModelFolder = _root.File("model");
        using (var model = DefenseFixture.Model())
            WriteModelFolder(model, ModelFolder);
        WorldFolder = _root.File("world");
        var export = Run("world", "--seed", WorldSeed, "--out", WorldFolder);
        if (export.Code != ExitCodes.Ok)
            throw new InvalidOperationException($"The fixture's world export failed: {export}");
    }

    /// <summary>The tiny model's folder: config.json, model.safetensors, tokenizer.json, tokenizer_config.json.</summary>
    public string ModelFolder { get; }

    /// <summary>The exported world.</summary>
    public string WorldFolder { get; }

    /// <summary>The tiny settings file.</summary>
    public string Settings { get; }

    /// <summary>A file of the exported world, e.g. "alignment.jsonl".</summary>
    public string World(string name) => Path.Combine(WorldFolder, name);

    /// <summary>A path under the fixture's folder that does not exist yet.</summary>
    public string NewPath(string name = "out") => _root.File($"{name}-{Interlocked.Increment(ref _folders)}");

    /// <summary>Runs the tool with the tiny settings.</summary>
    public CliResult Run(params string[] args) => Invoke([.. args, "--settings", Settings]);

    /// <summary>Runs the tool as given (warnings and errors only in the log).</summary>
    public static CliResult Invoke(string[] args, string stdin = "", CancellationToken cancellationToken = default)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        // Off the test's synchronisation context, as a console app runs it.
        int code = Task.Run(() => SafeAlignCli.InvokeAsync([.. args, "--log-level", "Warning"], output, error, new StringReader(stdin), cancellationToken)).GetAwaiter().GetResult();
        return new CliResult(code, output.ToString(), error.ToString());
    }

    /// <summary>The model as a Hugging Face folder, with the fixture tokenizer's files.</summary>
    public static void WriteModelFolder(CausalLM model, string folder)
    {
        DefenseFixture.TokenizerFiles().Save(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), model.Config.ToJson());
        SafetensorsWriter.Save(Path.Combine(folder, SafetensorsCheckpoint.SingleFileName), model.state_dict());
    }

    public void Dispose() => _root.Dispose();
}
