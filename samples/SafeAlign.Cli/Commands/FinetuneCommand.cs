using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SafeAlign.Cli.Files;
using SafeAlign.Cli.Hosting;
using SafeAlign.Defenses.Lisa;
using SafeAlign.Models.Lora;
using SafeAlign.Pipeline;
using SafeAlign.Scoring;
using SafeAlign.Training;

namespace SafeAlign.Cli.Commands;

/// <summary>
/// <c>finetune --model DIR [--adapter DIR] --data FILE [--mask FILE] [--lisa FILE] --out DIR</c>: the user's fine-tuning job
/// (the library's <see cref="Finetuner"/>, the job the attack and the pipeline run: adapters merged, a fresh LoRA trained on
/// the rows with the <c>SafeAlign.Pipeline.Finetuning</c> recipe), optionally with a token mask applied and Lisa (the
/// registered fine-tuning defense) guarding the job; saves the user's adapter in PEFT format with <c>finetune-report.json</c>.
/// </summary>
public static class FinetuneCommand
{
    /// <summary>The report written beside the adapter.</summary>
    public const string ReportFile = "finetune-report.json";

    /// <summary>Creates the command.</summary>
    public static Command Create(CommandHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var model = CommonOptions.Path("--model", "Hugging Face model folder to fine-tune.", helpName: "DIR");
        var adapters = CommonOptions.Adapters("PEFT adapter folders merged into the model first (e.g. the aligned adapter).");
        var data = CommonOptions.Path("--data", "User fine-tuning rows (Alpaca instruction/input/output, prompt/response or task rows).");
        var mask = CommonOptions.OptionalPath("--mask", "Token mask from score-tokens for the same data and model: masked tokens are not trained on.");
        var lisa = CommonOptions.OptionalPath("--lisa", "Alignment rows (harmful prompt → refusal) Lisa interleaves into the job; turns Lisa on.");
        var lisaBenign = CommonOptions.OptionalPath("--lisa-benign", "Benign rows added to Lisa's alignment batches.");
        var lisaUtility = CommonOptions.OptionalPath("--lisa-utility", "Task rows added to Lisa's alignment batches.");
        var output = CommonOptions.Path("--out", "Folder for the user's adapter and the report.", helpName: "DIR");
        var command = new Command("finetune", "Fine-tune a model on user data with a fresh LoRA (the user's job), optionally masked or guarded by Lisa.")
        {
            model, adapters, data, mask, lisa, lisaBenign, lisaUtility, output,
        };
        host.SetAction(command, async context =>
        {
            string dataPath = context.GetValue(data), modelPath = context.GetValue(model), outPath = context.GetValue(output);
            var rows = context.Data.Instructions("--data", dataPath);
            string? lisaPath = context.GetValue(lisa);
            if (lisaPath is null && (context.GetValue(lisaBenign) is not null || context.GetValue(lisaUtility) is not null))
                throw new CliUsageException("--lisa-benign and --lisa-utility add to Lisa's alignment rows; pass --lisa FILE too.");
            var guard = lisaPath is null ? null : context.Stage<FinetuningDefenseStage>(LisaDefense.DefenseName).Create(
                context.Data.AlignmentData(context.Data.Safety("--lisa", lisaPath, safeWhenUnlabelled: true),
                    benign: context.GetValue(lisaBenign), utility: context.GetValue(lisaUtility)));
            string? maskPath = context.GetValue(mask);
            var tokenMask = maskPath is null ? null : LoadMask(maskPath);
            string[] merged = context.GetValue(adapters);
            using var loaded = context.LoadModel(modelPath, merged);
            var tokenizer = context.LoadTokenizer(modelPath);
            var recipe = context.Settings.SafeAlign.Pipeline.Finetuning;
            var examples = ScoreTokensCommand.Tokenize(tokenizer, recipe.MaxLength, rows);
            if (tokenMask is not null)
            {
                try
                {
                    examples = tokenMask.Apply(examples);
                }
                catch (TokenMaskMismatchException e)
                {
                    throw new InputFileException(maskPath!, $"--mask does not fit {dataPath} as this model's tokenizer encodes it (max length {recipe.MaxLength}): {e.Message}", e);
                }
            }

            var job = new Finetuner(recipe, context.LoggerFactory.CreateLogger<Trainer>());
            var training = await context.RunAsync(() => job.Train(loaded, tokenizer, examples, guard, progress: null, context.CancellationToken)).ConfigureAwait(false);

            PeftAdapter.Save(loaded, outPath, Path.GetFullPath(modelPath));
            var report = new JsonObject
            {
                ["model"] = Path.GetFullPath(modelPath),
                ["merged_adapters"] = JsonFiles.Strings(merged.Select(Path.GetFullPath)),
                ["data"] = Path.GetFullPath(dataPath),
                ["samples"] = examples.Count,
                ["harmful_samples"] = rows.All(r => r.Harmful is not null) ? rows.Count(r => r.Harmful == true) : null,
                ["mask"] = tokenMask is null ? null : new JsonObject
                {
                    ["file"] = Path.GetFullPath(maskPath!), ["scorer"] = tokenMask.Scorer, ["discarded_tokens"] = tokenMask.DiscardedTokens, ["response_tokens"] = tokenMask.ResponseTokens,
                },
                ["finetuning_defense"] = guard?.Name,
                ["adapter"] = Reports.Adapter(loaded.Lora!),
                ["learning_rate"] = recipe.LearningRate,
                ["epochs"] = recipe.Epochs,
                ["batch_size"] = recipe.BatchSize,
                ["training"] = Reports.Training(training),
            };
            JsonFiles.Write(Path.Combine(outPath, ReportFile), report);
            report["out"] = context.Wrote(outPath);
            context.WriteResult(report);
        });
        return command;
    }

    private static TokenMask LoadMask(string path)
    {
        if (!File.Exists(path))
            throw new InputFileException(path, "--mask: file not found");
        return TokenMask.Load(path);
    }
}
