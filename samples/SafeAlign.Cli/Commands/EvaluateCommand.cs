using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SafeAlign.Cli.Files;
using SafeAlign.Cli.Hosting;
using SafeAlign.Evaluation;
using SafeAlign.Models.Generation;

namespace SafeAlign.Cli.Commands;

/// <summary>
/// <c>evaluate --model DIR [--adapter DIR] --harmful FILE [--benign FILE] [--task FILE --task-name NAME] --out FILE</c>: harmful
/// score (the registered judge), over-refusal and fine-tune accuracy, each with its 95 % Wilson interval, through the library's
/// <see cref="SafetyEvaluator"/>; <c>--dump</c> writes every prompt, output and verdict.
/// </summary>
public static class EvaluateCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var model = CommonOptions.Path("--model", "Hugging Face model folder to evaluate.", helpName: "DIR");
        var adapters = CommonOptions.Adapters("PEFT adapter folders merged into the model first, in order (e.g. aligned, then user).");
        var harmful = CommonOptions.Path("--harmful", "Harmful prompts (a 'prompt' or 'instruction' field) for the harmful score.");
        var benign = CommonOptions.OptionalPath("--benign", "Benign prompts for the over-refusal rate.");
        var task = CommonOptions.OptionalPath("--task", "Task rows with gold answers for fine-tune accuracy.");
        var taskName = new Option<string?>("--task-name")
        {
            Description = "Task of --task rows, which decides answer matching: sst2, agnews (label word), gsm8k (number after ####), other (exact). Default: each row's 'task' field, else its format.",
            HelpName = "NAME",
        };
        var limit = new Option<int?>("--limit") { Description = "Evaluate only the first N rows of each file.", HelpName = "N" };
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1 and var n)
                result.AddError($"--limit is {n}; expected a positive count.");
        });
        var output = CommonOptions.Path("--out", "JSON file for the rates.");
        var dump = CommonOptions.OptionalPath("--dump", "JSONL file of every prompt, output and verdict (measure, prompt, response, flagged).");
        var command = new Command("evaluate", "Measure harmful score, over-refusal and fine-tune accuracy with 95 % intervals.")
        {
            model, adapters, harmful, benign, task, taskName, limit, output, dump,
        };
        host.SetAction(command, async context =>
        {
            if (context.GetValue(taskName) is not null && context.GetValue(task) is null)
                throw new CliUsageException("--task-name names the task of --task rows; pass --task FILE too.");
            int take = context.GetValue(limit) ?? int.MaxValue;
            string modelPath = context.GetValue(model), outPath = context.GetValue(output);
            var harmfulPrompts = context.Data.Prompts("--harmful", context.GetValue(harmful)).Take(take).ToList();
            var benignPrompts = context.GetValue(benign) is { } benignPath ? context.Data.Prompts("--benign", benignPath).Take(take).ToList() : null;
            var taskRows = context.GetValue(task) is { } taskPath ? context.Data.Tasks("--task", taskPath, context.GetValue(taskName)).Take(take).ToList() : null;
            var settings = context.Settings.Evaluation;
            var evaluator = new SafetyEvaluator(context.Services.GetRequiredService<IHarmfulnessJudge>(),
                new GenerationOptions { MaxNewTokens = settings.MaxNewTokens }, settings.BatchSize);
            string[] merged = context.GetValue(adapters);
            using var loaded = context.LoadModel(modelPath, merged);
            var tokenizer = context.LoadTokenizer(modelPath);

            var measures = new List<(string Name, EvaluationResult Result)>
            {
                ("harmful_score", await evaluator.HarmfulScoreAsync(loaded, tokenizer, harmfulPrompts, context.CancellationToken).ConfigureAwait(false)),
            };
            if (benignPrompts is not null)
                measures.Add(("over_refusal", await evaluator.OverRefusalAsync(loaded, tokenizer, benignPrompts, context.CancellationToken).ConfigureAwait(false)));
            if (taskRows is not null)
                measures.Add(("accuracy", await evaluator.AccuracyAsync(loaded, tokenizer, taskRows, context.CancellationToken).ConfigureAwait(false)));

            var result = new JsonObject
            {
                ["model"] = Path.GetFullPath(modelPath),
                ["adapters"] = JsonFiles.Strings(merged.Select(Path.GetFullPath)),
                ["judge"] = context.Services.GetRequiredService<IHarmfulnessJudge>().Name,
                ["max_new_tokens"] = settings.MaxNewTokens,
                ["harmful_score"] = null,
                ["over_refusal"] = null,
                ["accuracy"] = null,
            };
            foreach (var (name, measured) in measures)
                result[name] = Reports.Rate(measured.Estimate);
            if (taskRows is not null)
                result["accuracy"]!["tasks"] = JsonFiles.Strings(taskRows.Select(t => t.Task).Distinct());
            JsonFiles.Write(outPath, result);
            result["out"] = context.Wrote(outPath);
            if (context.GetValue(dump) is { } dumpPath)
            {
                JsonFiles.WriteLines(dumpPath, measures.SelectMany(m => m.Result.Items.Select(item => (JsonNode)new JsonObject
                {
                    ["measure"] = m.Name, ["prompt"] = item.Prompt, ["response"] = item.Response, ["flagged"] = item.Flagged,
                })));
                result["dump"] = context.Wrote(dumpPath);
            }
            context.WriteResult(result);
        });
        return command;
    }
}
