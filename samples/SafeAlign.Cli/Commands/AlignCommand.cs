using System.CommandLine;
using System.Text.Json.Nodes;
using SafeAlign.Cli.Files;
using SafeAlign.Cli.Hosting;
using SafeAlign.Defenses;
using SafeAlign.Models.Lora;

namespace SafeAlign.Cli.Commands;

/// <summary>
/// <c>align --model DIR --data FILE [--benign FILE] --defense NAME --out DIR [--merge DIR]</c>: runs an alignment defense and
/// saves the trained adapter in PEFT format with <c>alignment-report.json</c>; <c>--merge</c> also saves the model with the
/// adapter merged as a Hugging Face folder.
/// </summary>
public static class AlignCommand
{
    /// <summary>The report written beside the adapter.</summary>
    public const string ReportFile = "alignment-report.json";

    /// <summary>Creates the command.</summary>
    public static Command Create(CommandHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var model = CommonOptions.Path("--model", "Hugging Face model folder to align.", helpName: "DIR");
        var adapters = CommonOptions.Adapters("PEFT adapter folders merged into the model first, in order.");
        var data = CommonOptions.Path("--data", "Alignment set: harmful prompt → refusal rows (BeaverTails or prompt/response).");
        var benign = CommonOptions.OptionalPath("--benign", "Benign prompt → helpful rows trained alongside (keeps over-refusal down).");
        var utility = CommonOptions.OptionalPath("--utility", "Task rows trained alongside (keeps fine-tune accuracy).");
        var harmful = CommonOptions.OptionalPath("--harmful", "Harmful prompt → harmful answer rows (needed by repnoise, booster, t-vaccine).");
        var defense = CommonOptions.StageName("--defense", "Alignment defense", StageNames.Defenses);
        var output = CommonOptions.Path("--out", "Folder for the adapter (adapter_config.json, adapter_model.safetensors) and the report.", helpName: "DIR");
        var merge = CommonOptions.OptionalPath("--merge", "Also save the aligned model, adapter merged, as a Hugging Face folder here.", helpName: "DIR");
        var command = new Command("align", "Align a model with an alignment-stage defense (SFT, Vaccine, T-Vaccine, RepNoise, Booster) and save the LoRA adapter.")
        {
            model, adapters, data, benign, utility, harmful, defense, output, merge,
        };
        host.SetAction(command, async context =>
        {
            string dataPath = context.GetValue(data), modelPath = context.GetValue(model), outPath = context.GetValue(output);
            var alignment = context.Data.AlignmentData(context.Data.Safety("--data", dataPath, safeWhenUnlabelled: true),
                benign: context.GetValue(benign), utility: context.GetValue(utility), harmful: context.GetValue(harmful));
            string name = context.GetValue(defense);
            var stage = context.Stage<IAlignmentDefense>(name);
            string[] merged = context.GetValue(adapters);
            using var loaded = context.LoadModel(modelPath, merged);
            var tokenizer = context.LoadTokenizer(modelPath);

            var result = await stage.AlignAsync(new AlignmentRequest(loaded, tokenizer, alignment), progress: null, context.CancellationToken).ConfigureAwait(false);

            PeftAdapter.Save(loaded, outPath, Path.GetFullPath(modelPath));
            var report = new JsonObject
            {
                ["defense"] = name,
                ["model"] = Path.GetFullPath(modelPath),
                ["merged_adapters"] = JsonFiles.Strings(merged.Select(Path.GetFullPath)),
                ["data"] = Path.GetFullPath(dataPath),
                ["rows"] = new JsonObject
                {
                    ["safety"] = alignment.Safety.Count, ["benign"] = alignment.Benign.Count, ["utility"] = alignment.Utility.Count, ["harmful"] = alignment.Harmful.Count,
                },
                ["examples_per_epoch"] = result.Examples,
                ["adapter"] = Reports.Adapter(result.Adapter),
                ["training"] = Reports.Training(result.Training),
            };
            JsonFiles.Write(Path.Combine(outPath, ReportFile), report);
            report["out"] = context.Wrote(outPath);
            if (context.GetValue(merge) is { } mergePath)
            {
                loaded.MergeAndDetachLora();
                ModelFolders.SaveMerged(loaded, modelPath, mergePath);
                report["merged"] = context.Wrote(mergePath);
            }
            context.WriteResult(report);
        });
        return command;
    }
}
