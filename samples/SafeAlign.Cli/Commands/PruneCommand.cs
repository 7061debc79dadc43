using System.CommandLine;
using System.Text.Json.Nodes;
using SafeAlign.Cli.Files;
using SafeAlign.Cli.Hosting;
using SafeAlign.Models.Lora;
using SafeAlign.Pruning;

namespace SafeAlign.Cli.Commands;

/// <summary>
/// <c>prune --model DIR --adapter DIR --calibration FILE --pruner NAME --ratio A --out DIR</c>: runs a post-fine-tuning pruner on
/// the user's adapter (the last <c>--adapter</c>, kept attached; earlier ones are merged) and saves the pruned adapter with
/// <c>pruning-report.json</c>. Without an adapter (dense scope) the pruned model is saved as a Hugging Face folder.
/// </summary>
public static class PruneCommand
{
    /// <summary>The report written beside the pruned weights.</summary>
    public const string ReportFile = "pruning-report.json";

    /// <summary>Creates the command.</summary>
    public static Command Create(CommandHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var model = CommonOptions.Path("--model", "Hugging Face model folder the adapters sit on.", helpName: "DIR");
        var adapters = CommonOptions.Adapters("PEFT adapter folders in order; all but the last are merged, the last (the user's) is pruned.");
        var calibration = CommonOptions.Path("--calibration", "Harmful prompt → harmful answer rows that find the harmful weights (disjoint from fine-tuning and test data).");
        var benign = CommonOptions.OptionalPath("--benign", "Benign task rows (the calibration of wanda-benign).");
        var pruner = CommonOptions.StageName("--pruner", "Pruner", StageNames.Pruners);
        var ratio = CommonOptions.Ratio("--ratio", "Share of each row's weights to prune (default: the settings', 0.1).", allowZero: true);
        var output = CommonOptions.Path("--out", "Folder for the pruned adapter (or model) and the report.", helpName: "DIR");
        var command = new Command("prune", "Prune a fine-tuned adapter after fine-tuning (Antidote and its magnitude, random and benign-Wanda baselines).")
        {
            model, adapters, calibration, benign, pruner, ratio, output,
        };
        host.SetAction(command, async context =>
        {
            if (context.GetValue(ratio) is double r)
                context.Settings.SafeAlign.Antidote.Ratio = r;
            string modelPath = context.GetValue(model), outPath = context.GetValue(output), calibrationPath = context.GetValue(calibration);
            var harmful = context.Data.Safety("--calibration", calibrationPath, safeWhenUnlabelled: false);
            var benignRows = context.GetValue(benign) is { } benignPath ? context.Data.Tasks("--benign", benignPath) : [];
            string name = context.GetValue(pruner);
            var stage = context.Stage<IPostFinetunePruner>(name);
            string[] stack = context.GetValue(adapters);
            using var loaded = context.LoadModel(modelPath, stack, keepLastAdapter: true);
            var tokenizer = context.LoadTokenizer(modelPath);

            using var result = await stage.PruneAsync(new PruningRequest(loaded, tokenizer, harmful) { Benign = benignRows }, context.Progress("prune", name), context.CancellationToken).ConfigureAwait(false);

            bool adapter = loaded.Lora is not null;
            if (adapter)
                PeftAdapter.Save(loaded, outPath, Path.GetFullPath(modelPath));
            else
                ModelFolders.SaveMerged(loaded, modelPath, outPath);
            var report = new JsonObject
            {
                ["pruner"] = result.Pruner,
                ["model"] = Path.GetFullPath(modelPath),
                ["adapters"] = JsonFiles.Strings(stack.Select(Path.GetFullPath)),
                ["saved_as"] = adapter ? "adapter" : "model",
                ["pruned_weights"] = result.PrunedWeights,
                ["considered_weights"] = result.ConsideredWeights,
                ["pruned_share"] = result.ConsideredWeights == 0 ? 0 : (double)result.PrunedWeights / result.ConsideredWeights,
                ["calibration_samples"] = result.CalibrationSamples,
                ["calibration_tokens"] = result.CalibrationTokens,
                ["calibration_seconds"] = result.CalibrationTime.TotalSeconds,
                ["scoring_seconds"] = result.ScoringTime.TotalSeconds,
                ["elapsed_seconds"] = result.Elapsed.TotalSeconds,
                ["matrices"] = JsonFiles.ToNode(result.Matrices),
            };
            JsonFiles.Write(Path.Combine(outPath, ReportFile), report);
            report.Remove("matrices");
            report["out"] = context.Wrote(outPath);
            context.WriteResult(report);
        });
        return command;
    }
}
