using System.CommandLine;
using System.Text.Json.Nodes;
using SafeAlign.Cli.Files;
using SafeAlign.Cli.Hosting;
using SafeAlign.Evaluation.World;
using SafeAlign.Selection;

namespace SafeAlign.Cli.Commands;

/// <summary>
/// <c>select --model DIR --data FILE --selector NAME --ratio R --out FILE</c>: runs an alignment-data selector and writes the
/// kept indices with a score per candidate (JSON), and the kept rows (JSONL, the input's format).
/// </summary>
public static class SelectCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var model = CommonOptions.Path("--model", "Hugging Face model folder (the base the selected data will align).", helpName: "DIR");
        var adapters = CommonOptions.Adapters("PEFT adapter folders merged into the model first, in order.");
        var data = CommonOptions.Path("--data", "Alignment set: harmful prompt → refusal rows (BeaverTails or prompt/response; an optional 'quality' label is scored against).");
        var harmful = CommonOptions.OptionalPath("--harmful", "Harmful prompt → harmful answer rows (Pharmacist's harmful step).");
        var validation = CommonOptions.OptionalPath("--validation", "Trusted refusal rows disjoint from --data (Pharmacist/SEAL's validation objective).");
        var selector = CommonOptions.StageName("--selector", "Selector", StageNames.Selectors);
        var ratio = CommonOptions.Ratio("--ratio", "Share of the rows to keep (default: the settings', 0.4).");
        var output = CommonOptions.Path("--out", "JSON file for the kept indices and per-row scores.");
        var rowsOut = CommonOptions.OptionalPath("--rows", "JSONL file for the kept rows (default: --out with .rows.jsonl).");
        var command = new Command("select", "Select alignment data with a data selector (Pharmacist, SEAL, random, loss, gradnorm, full).")
        {
            model, adapters, data, harmful, validation, selector, ratio, output, rowsOut,
        };
        host.SetAction(command, async context =>
        {
            if (context.GetValue(ratio) is double keep)
            {
                var o = context.Settings.SafeAlign;
                foreach (SelectorOptions options in new SelectorOptions[] { o.RandomSelector, o.Pharmacist, o.LossSelector, o.GradientNormSelector })
                    options.KeepRatio = keep;
            }
            string dataPath = context.GetValue(data), outPath = context.GetValue(output);
            string rowsPath = context.GetValue(rowsOut) ?? Path.ChangeExtension(outPath, ".rows.jsonl");
            var rows = context.Data.Alignment("--data", dataPath);
            var alignment = context.Data.AlignmentData([.. rows.Select(r => r.Example)], harmful: context.GetValue(harmful), validation: context.GetValue(validation));
            string name = context.GetValue(selector);
            var stage = context.Stage<IAlignmentDataSelector>(name);
            string modelPath = context.GetValue(model);
            using var loaded = context.LoadModel(modelPath, context.GetValue(adapters));
            var tokenizer = context.LoadTokenizer(modelPath);

            var selection = await stage.SelectAsync(new SelectionRequest(loaded, tokenizer, alignment), context.Progress("select", name), context.CancellationToken).ConfigureAwait(false);

            var summary = new JsonObject
            {
                ["selector"] = selection.Selector,
                ["model"] = Path.GetFullPath(modelPath),
                ["data"] = Path.GetFullPath(dataPath),
                ["candidates"] = rows.Count,
                ["kept"] = selection.Indices.Count,
                ["kept_share"] = (double)selection.Indices.Count / rows.Count,
                ["elapsed_seconds"] = selection.Elapsed.TotalSeconds,
                ["defect_auc"] = DefectAuc(rows, selection.Scores),
            };
            var result = (JsonObject)summary.DeepClone();
            result["indices"] = JsonFiles.Integers(selection.Indices);
            result["scores"] = JsonFiles.Numbers(selection.Scores);
            JsonFiles.Write(outPath, result);
            JsonFiles.WriteLines(rowsPath, selection.Indices.Select(i => Rows.Safety(rows[i].Example, rows[i].Quality)));
            summary["out"] = context.Wrote(outPath);
            summary["rows"] = context.Wrote(rowsPath);
            context.WriteResult(summary);
        });
        return command;
    }

    // When every row carries a quality label and both clean and defective rows exist, how well the scores rank clean rows first.
    private static JsonNode? DefectAuc(IReadOnlyList<LabelledAlignmentRow> rows, IReadOnlyList<double> scores)
    {
        if (rows.Any(r => r.Quality is null) || scores.Any(s => !double.IsFinite(s)))
            return null;
        var qualities = rows.Select(r => r.Quality!.Value).ToList();
        if (!qualities.Contains(AlignmentRowQuality.Clean) || qualities.All(q => q == AlignmentRowQuality.Clean))
            return null;
        var report = new JsonObject();
        foreach (var (kind, auc) in AlignmentDefectRanking.Report(scores, qualities))
            report[kind == "All" ? "all" : QualityNames.Of(Enum.Parse<AlignmentRowQuality>(kind))] = auc;
        return report;
    }
}
