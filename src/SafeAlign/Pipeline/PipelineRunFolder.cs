using System.Text.Json;
using System.Text.Json.Nodes;
using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Models.Lora;

namespace SafeAlign.Pipeline;

/// <summary>
/// The layout of a <see cref="SafetyPipeline"/> run folder and its <c>summary.json</c>. Every file is written to a temp
/// name and renamed; adapters go to a temp folder that is moved into place, so a stopped run never leaves a
/// half-written artefact that a resumed run would trust.
/// </summary>
internal sealed class PipelineRunFolder
{
    public const string SummaryFileName = "summary.json";
    public const string SummaryFormat = "safealign-pipeline-run";
    public const int SummaryVersion = 1;

    public PipelineRunFolder(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Summary => File(SummaryFileName);

    public string Selection => File("selection.json");

    public string AlignmentAdapter => File("alignment-adapter");

    public string TokenMask => File("token-mask.jsonl");

    public string FinetuneAdapter => File("finetune-adapter");

    public string PrunedAdapter => File("pruned-adapter");

    public string PruningMask => File("pruning-mask.safetensors");

    public string Evaluation(string label, string metric) => File(System.IO.Path.Combine("evaluation", $"{label}-{metric}.jsonl"));

    public static bool AdapterExists(string folder) =>
        System.IO.File.Exists(System.IO.Path.Combine(folder, PeftAdapter.ConfigFileName)) && System.IO.File.Exists(System.IO.Path.Combine(folder, PeftAdapter.WeightsFileName));

    /// <summary>Saves the model's attached adapter in PEFT format into <paramref name="folder"/>, replacing it whole.</summary>
    public static void SaveAdapter(CausalLM model, string folder, string baseModel)
    {
        string temp = folder + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            PeftAdapter.Save(model, temp, baseModel);
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
            Directory.Move(temp, folder);
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
    }

    public static void WriteText(string path, string text)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            System.IO.File.WriteAllText(temp, text);
            System.IO.File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (System.IO.File.Exists(temp))
                System.IO.File.Delete(temp);
        }
    }

    public void WriteSelection(string selector, IReadOnlyList<int> indices, IReadOnlyList<double> scores)
    {
        var json = new JsonObject
        {
            ["selector"] = selector,
            ["indices"] = new JsonArray(indices.Select(i => (JsonNode)i).ToArray()),
            ["scores"] = new JsonArray(scores.Select(s => (JsonNode)(double.IsFinite(s) ? s : 0)).ToArray()),
        };
        WriteText(Selection, json.ToJsonString(Indented));
    }

    /// <summary>The indices of a selection written by <see cref="WriteSelection"/>, each checked against <paramref name="candidates"/>.</summary>
    /// <exception cref="PipelineRunException">The file is malformed or names a row that does not exist.</exception>
    public IReadOnlyList<int> ReadSelection(int candidates)
    {
        try
        {
            var indices = JsonNode.Parse(System.IO.File.ReadAllText(Selection))!["indices"]!.AsArray().Select(n => n!.GetValue<int>()).ToList();
            int bad = indices.FindIndex(i => i < 0 || i >= candidates);
            if (bad >= 0)
                throw new PipelineRunException(Selection, $"indices[{bad}] = {indices[bad]} is not a row of the {candidates}-row alignment set.");
            return indices;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new PipelineRunException(Selection, "expected {\"indices\": [int, ...]} as written by the pipeline's Select stage.", e);
        }
    }

    public void WriteSummary(IReadOnlyList<PipelineStageRecord> stages, PipelineEvaluation? aligned, PipelineEvaluation? final)
    {
        var json = new JsonObject
        {
            ["format"] = SummaryFormat,
            ["version"] = SummaryVersion,
            ["stages"] = new JsonArray(stages.Select(s => (JsonNode)new JsonObject
            {
                ["stage"] = s.Stage.ToString(),
                ["implementation"] = s.Implementation,
                ["key"] = s.Key,
                ["seconds"] = Math.Round(s.Seconds, 3),
                ["reused"] = s.Reused,
                ["details"] = new JsonObject(s.Details.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)(double.IsFinite(d.Value) ? d.Value : null)))),
            }).ToArray()),
            ["aligned"] = ToJson(aligned),
            ["final"] = ToJson(final),
        };
        WriteText(Summary, json.ToJsonString(Indented));
    }

    /// <summary>The summary a previous run left, or an empty one when there is none.</summary>
    /// <exception cref="PipelineRunException">The file exists but is not a pipeline summary.</exception>
    public (IReadOnlyList<PipelineStageRecord> Stages, PipelineEvaluation? Aligned, PipelineEvaluation? Final) ReadSummary()
    {
        if (!System.IO.File.Exists(Summary))
            return ([], null, null);
        try
        {
            var json = JsonNode.Parse(System.IO.File.ReadAllText(Summary))!.AsObject();
            if (json["format"]?.GetValue<string>() != SummaryFormat || json["version"]?.GetValue<int>() != SummaryVersion)
                throw new PipelineRunException(Summary, $"expected format \"{SummaryFormat}\" version {SummaryVersion}.");
            var stages = json["stages"]!.AsArray().Select(n => new PipelineStageRecord(
                Enum.Parse<PipelineStage>(n!["stage"]!.GetValue<string>()),
                n["implementation"]!.GetValue<string>(),
                n["key"]!.GetValue<string>(),
                n["seconds"]!.GetValue<double>(),
                n["reused"]!.GetValue<bool>(),
                n["details"]!.AsObject().ToDictionary(d => d.Key, d => d.Value?.GetValue<double>() ?? double.NaN))).ToList();
            return (stages, FromJson(json["aligned"]), FromJson(json["final"]));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException or ArgumentException)
        {
            throw new PipelineRunException(Summary, "it is not a readable pipeline summary; delete the run folder or set SafetyPipelineOptions.Resume = false.", e);
        }
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private string File(string name) => System.IO.Path.Combine(Path, name);

    private static JsonNode? ToJson(PipelineEvaluation? evaluation) => evaluation is null ? null : new JsonObject
    {
        ["harmful_score"] = ToJson(evaluation.HarmfulScore),
        ["over_refusal"] = ToJson(evaluation.OverRefusal),
        ["finetune_accuracy"] = ToJson(evaluation.FinetuneAccuracy),
    };

    private static JsonNode? ToJson(RateEstimate? rate) => rate is not { } r ? null : new JsonObject
    {
        ["count"] = r.Count,
        ["total"] = r.Total,
        ["percent"] = Math.Round(r.Percent, 4),
        ["ci95_low"] = Math.Round(100 * r.Interval95.Low, 4),
        ["ci95_high"] = Math.Round(100 * r.Interval95.High, 4),
    };

    private static PipelineEvaluation? FromJson(JsonNode? node) => node is null ? null
        : new PipelineEvaluation(Rate(node["harmful_score"]), Rate(node["over_refusal"]), Rate(node["finetune_accuracy"]));

    private static RateEstimate? Rate(JsonNode? node) => node is null ? null
        : new RateEstimate(node["count"]!.GetValue<int>(), node["total"]!.GetValue<int>());
}
