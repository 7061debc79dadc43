using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SafeAlign.Cli.Files;
using SafeAlign.Cli.Hosting;
using SafeAlign.Data;
using SafeAlign.Evaluation;
using SafeAlign.Models.Generation;
using SafeAlign.Pipeline;
using SafeAlign.Training;

namespace SafeAlign.Cli.Commands;

/// <summary>
/// <c>run --config FILE [--out DIR]</c>: the whole safety pipeline (select → align → score tokens → fine-tune → prune →
/// evaluate) from one JSON file. The file is a settings file (the same keys as <c>--settings</c>) with a <c>Run</c> section
/// naming the model and data files; the stages are the ones <c>SafeAlign.Pipeline</c> names. The run folder resumes after
/// its last finished stage when run again.
/// </summary>
public static class RunCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var config = CommonOptions.Path("--config", "JSON run file: settings plus a Run section naming the model and data files (see README).");
        var output = CommonOptions.OptionalPath("--out", "Run folder (overrides Run.Out).", helpName: "DIR");
        var command = new Command("run", "Run the whole pipeline (select, align, score tokens, fine-tune, prune, evaluate) from a JSON config; resumes an existing run folder.")
        {
            config, output,
        };
        host.SetAction(command, async context =>
        {
            string configPath = context.GetValue(config);
            if (context.Parse.GetValue(host.Common.Settings) is not null)
                throw new CliUsageException("run takes its settings from --config; leave out --settings.");
            context.UseSettingsFile(configPath);
            var run = context.Settings.Run;
            string folder = Path.GetDirectoryName(Path.GetFullPath(configPath))!;
            string? Resolve(string? path) => path is null ? null : Path.GetFullPath(Path.Combine(folder, path));
            string Required(string? path, string key) => Resolve(path)
                ?? throw new InputFileException(configPath, $"Run.{key} is missing; expected a path (relative to the config file).");

            string model = Required(run.Model, nameof(run.Model));
            CommandContext.RequireFolder("Run.Model", model);
            var data = context.Data.AlignmentData(context.Data.Safety("Run.Alignment", Required(run.Alignment, nameof(run.Alignment)), safeWhenUnlabelled: true),
                benign: Resolve(run.Benign), utility: Resolve(run.Utility), harmful: Resolve(run.Harmful), validation: Resolve(run.Validation));
            var rows = context.Data.Instructions("Run.UserData", Required(run.UserData, nameof(run.UserData)));
            var userData = rows.Select(r => new TaskExample("user", r.Instruction, r.Input ?? "", r.Response)).ToList();
            // Flags are ground truth only when every row carries one (the world's export does).
            IReadOnlyList<bool>? harmful = rows.All(r => r.Harmful is not null) ? rows.Select(r => r.Harmful!.Value).ToList() : null;
            int take = run.EvaluationLimit ?? int.MaxValue;
            PipelineEvaluationSet? evaluation = run.HarmfulTest is null && run.BenignTest is null && run.TaskTest is null ? null : new PipelineEvaluationSet(
                run.HarmfulTest is null ? [] : context.Data.Prompts("Run.HarmfulTest", Resolve(run.HarmfulTest)!).Take(take).ToList(),
                run.BenignTest is null ? [] : context.Data.Prompts("Run.BenignTest", Resolve(run.BenignTest)!).Take(take).ToList(),
                run.TaskTest is null ? [] : context.Data.Tasks("Run.TaskTest", Resolve(run.TaskTest)!, run.TaskName).Take(take).ToList());
            string runFolder = context.GetValue(output) ?? Resolve(run.Out)!;

            var services = context.Services;
            var options = context.Settings.SafeAlign;
            var evaluator = new SafetyEvaluator(services.GetRequiredService<IHarmfulnessJudge>(),
                new GenerationOptions { MaxNewTokens = context.Settings.Evaluation.MaxNewTokens }, context.Settings.Evaluation.BatchSize);
            SafetyPipelineStages stages;
            try
            {
                stages = services.GetRequiredService<SafetyPipelineStages>();
            }
            catch (InvalidOperationException e) when (e.Message.Contains("SafeAlign:Pipeline:", StringComparison.Ordinal))
            {
                throw new CliUsageException($"{configPath}: {e.Message}");   // a stage name the library does not register
            }
            var pipeline = new SafetyPipeline(stages, options.Pipeline, evaluator, options.Device, context.LoggerFactory);
            var request = new SafetyPipelineRequest(model, data, userData, runFolder) { Evaluation = evaluation, HarmfulUserRows = harmful };
            // Pipeline progress as log lines (stage messages; training steps every LogEvery steps).
            var log = context.Progress("run", "pipeline");
            var progress = new SynchronousProgress<PipelineProgress>(p => log.Report($"{p.Stage}: {p.Message}"));
            var result = await pipeline.RunAsync(request, progress, context.CancellationToken).ConfigureAwait(false);

            var report = new JsonObject
            {
                ["run"] = context.Wrote(result.RunFolder),
                ["summary"] = Path.Combine(result.RunFolder, "summary.json"),
                ["stages"] = new JsonArray(result.Stages.Select(s => (JsonNode)new JsonObject
                {
                    ["stage"] = s.Stage.ToString(),
                    ["implementation"] = s.Implementation,
                    ["seconds"] = Math.Round(s.Seconds, 1),
                    ["reused"] = s.Reused,
                }).ToArray()),
                ["aligned"] = Measurement(result.Aligned),
                ["final"] = Measurement(result.Final),
            };
            context.WriteResult(report);
        });
        return command;
    }

    private static JsonNode? Measurement(PipelineEvaluation? evaluation) => evaluation is null ? null : new JsonObject
    {
        ["harmful_score"] = evaluation.HarmfulScore is { } hs ? Reports.Rate(hs) : null,
        ["over_refusal"] = evaluation.OverRefusal is { } refusal ? Reports.Rate(refusal) : null,
        ["accuracy"] = evaluation.FinetuneAccuracy is { } fa ? Reports.Rate(fa) : null,
    };
}
