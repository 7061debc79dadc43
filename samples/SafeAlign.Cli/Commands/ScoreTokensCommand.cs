using System.CommandLine;
using System.Text.Json.Nodes;
using SafeAlign.Cli.Files;
using SafeAlign.Cli.Hosting;
using SafeAlign.Evaluation;
using SafeAlign.Scoring;
using SafeAlign.Tokenization;

namespace SafeAlign.Cli.Commands;

/// <summary>
/// <c>score-tokens --model DIR --data FILE --reference FILE --scorer NAME --out FILE</c>: scores every response token of the
/// user's fine-tuning data for risk and writes the token mask (<see cref="TokenMask.Save"/>; <c>finetune --mask</c> applies it)
/// and a risk report (JSON and Markdown).
/// </summary>
public static class ScoreTokensCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var model = CommonOptions.Path("--model", "Hugging Face model folder (the aligned model the user will fine-tune).", helpName: "DIR");
        var adapters = CommonOptions.Adapters("PEFT adapter folders merged into the model first (e.g. the aligned adapter).");
        var data = CommonOptions.Path("--data", "User fine-tuning rows (Alpaca instruction/input/output, prompt/response or task rows; optional 'harmful' flag).");
        var reference = CommonOptions.OptionalPath("--reference", "Harmful reference rows, prompt → harmful answer (TOSS's harmful reference set).");
        var utility = CommonOptions.OptionalPath("--utility", "Utility reference rows: clean task rows (TOSS's utility reference set).");
        var scorer = CommonOptions.StageName("--scorer", "Token risk scorer", StageNames.Scorers);
        var ratio = CommonOptions.Ratio("--ratio", "Share of response tokens to discard (default: the settings', 0.1).", allowZero: true);
        var output = CommonOptions.Path("--out", "Token mask file (JSON lines; .safetensors for the binary form).");
        var report = CommonOptions.OptionalPath("--report", "Risk report JSON (default: --out with .report.json; Markdown beside it as .report.md).");
        var command = new Command("score-tokens", "Score the risk of each token of user fine-tuning data (TOSS, TOSS-Pro, random) and write a token mask.")
        {
            model, adapters, data, reference, utility, scorer, ratio, output, report,
        };
        host.SetAction(command, async context =>
        {
            var o = context.Settings.SafeAlign;
            if (context.GetValue(ratio) is double d)
            {
                o.Toss.DiscardRatio = d;
                o.TossPro.DiscardRatio = d;
                o.RandomTokens.DiscardRatio = d;
            }
            string dataPath = context.GetValue(data), modelPath = context.GetValue(model), outPath = context.GetValue(output);
            string reportPath = context.GetValue(report) ?? Path.ChangeExtension(outPath, ".report.json");
            var rows = context.Data.Instructions("--data", dataPath);
            var referenceData = context.Data.AlignmentData([], harmful: context.GetValue(reference), utility: context.GetValue(utility));
            string name = context.GetValue(scorer);
            var stage = context.Stage<ITokenRiskScorer>(name);
            using var loaded = context.LoadModel(modelPath, context.GetValue(adapters));
            var tokenizer = context.LoadTokenizer(modelPath);
            var examples = Tokenize(tokenizer, context.Settings.SafeAlign.Pipeline.Finetuning.MaxLength, rows);

            var scores = await stage.ScoreAsync(new TokenRiskRequest(loaded, tokenizer, examples, referenceData), context.Progress("score-tokens", name), context.CancellationToken).ConfigureAwait(false);
            var mask = scores.Mask ?? throw new InvalidOperationException($"The '{scores.Scorer}' scorer returned no token mask.");

            mask.Save(outPath);
            var risk = TokenRiskReport.Create(scores, examples, tokenizer);
            var flags = rows.Select(r => r.Harmful).ToList();
            var quality = flags.All(f => f is not null) ? TokenMaskQuality.Measure(mask, [.. flags.Select(f => f!.Value)]) : null;
            var summary = new JsonObject
            {
                ["scorer"] = scores.Scorer,
                ["model"] = Path.GetFullPath(modelPath),
                ["data"] = Path.GetFullPath(dataPath),
                ["samples"] = examples.Count,
                ["response_tokens"] = scores.ResponseTokens,
                ["masked_tokens"] = scores.MaskedTokens,
                ["masked_share"] = scores.ResponseTokens == 0 ? 0 : (double)scores.MaskedTokens / scores.ResponseTokens,
                ["elapsed_seconds"] = scores.Elapsed.TotalSeconds,
                ["max_length"] = context.Settings.SafeAlign.Pipeline.Finetuning.MaxLength,
                ["mask_quality"] = quality is null ? null : new JsonObject
                {
                    ["precision"] = JsonFiles.Number(quality.Precision),
                    ["recall"] = JsonFiles.Number(quality.Recall),
                    ["discarded_in_harmful"] = quality.DiscardedInHarmful,
                    ["harmful_samples"] = quality.HarmfulSamples,
                    ["harmful_samples_touched"] = quality.HarmfulSamplesTouched,
                    ["benign_samples_touched"] = quality.BenignSamplesTouched,
                },
            };
            var full = (JsonObject)summary.DeepClone();
            full["report"] = JsonFiles.ToNode(risk);
            full["reference_additions"] = JsonFiles.ToNode(scores.ReferenceAdditions);
            JsonFiles.Write(reportPath, full);
            string markdownPath = Path.ChangeExtension(reportPath, ".md");
            risk.WriteMarkdown(markdownPath);
            summary["out"] = context.Wrote(outPath);
            summary["report"] = context.Wrote(reportPath);
            summary["report_markdown"] = context.Wrote(markdownPath);
            context.WriteResult(summary);
        });
        return command;
    }

    /// <summary>User rows tokenised as the fine-tuning job tokenises them (Alpaca format, response-only labels): a mask fits only this tokenisation.</summary>
    public static List<TokenizedExample> Tokenize(HfTokenizer tokenizer, int maxLength, IReadOnlyList<InstructionRow> rows) =>
        InstructionExamples.Build(tokenizer, maxLength, rows.Select(r => (r.Instruction, r.Input, r.Response)));
}
