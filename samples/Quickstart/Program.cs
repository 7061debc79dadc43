// SafeAlign quickstart on the embedded safety world: build (or reuse) the unaligned base model, then run the safety
// pipeline (select → align → score tokens → fine-tune on the user's data → prune → evaluate) in six configurations
// and print harmful score (HS), over-refusal and fine-tune accuracy (FA) after the user's fine-tuning, with wall times.
// The user's data is the world's harmful fine-tuning attack: 1,000 SST-2 rows of which 10 % are harmful.
// Usage: dotnet run --project samples/Quickstart [-- --seed N --device auto|cpu|cuda --eval N --p RATIO --out DIR]
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SafeAlign.DependencyInjection;
using SafeAlign.Defenses;
using SafeAlign.Evaluation;
using SafeAlign.Evaluation.World;
using SafeAlign.Native;
using SafeAlign.Pipeline;
using SafeAlign.Pruning;
using SafeAlign.Scoring;
using SafeAlign.Selection;
using SafeAlign.Training;
using Spectre.Console;

var settings = QuickstartSettings.Parse(args);
var clock = Stopwatch.StartNew();

// The library's stages, as an app gets them: AddSafeAlign with options (world-scaled defaults, shortened for a
// ten-minute run: one SFT epoch, one selector epoch with harmful and validation batches of 8, 500 calibration rows,
// half the benign rows; see
// samples/Quickstart/README.md).
var services = new ServiceCollection()
    .AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning))
    .AddSafeAlign(o =>
    {
        o.Device.Device = settings.Device;
        o.Sft.Epochs = 1;
        o.Sft.Seed = settings.Seed;
        o.Pharmacist.Epochs = 1;
        o.Pharmacist.HarmfulBatchSize = 8;
        o.Pharmacist.ValidationBatchSize = 8;
        o.Pharmacist.Seed = settings.Seed;
        o.Toss.Seed = settings.Seed;
        o.Antidote.Targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
        o.Antidote.MaxCalibrationSamples = 500;
        o.Pipeline.Finetuning.Seed = settings.Seed;
    });
using var provider = services.BuildServiceProvider();
var options = provider.GetRequiredService<SafeAlignOptions>();
var device = SafeAlignDevice.Resolve(options.Device, provider.GetRequiredService<ILogger<SafetyPipeline>>());

// The default world, so the cached base model is the one the docs' experiments use (its tokenizer is trained on every
// split's text, so a resized world is another model); the alignment trains on half its benign rows (1,000).
var world = SafetyWorld.Generate(new SafetyWorldOptions { Seed = settings.Seed });
var alignmentData = WorldAlignment.Data(world, benignRows: 1_000);
var attack = new HarmfulFinetuneAttack(new HarmfulFinetuneAttackOptions { HarmfulRatio = settings.HarmfulRatio, Seed = settings.Seed });
var (userRows, isHarmful) = attack.BuildUserRows(world.AttackPool, world.TaskTrain["sst2"]);
var evaluation = new PipelineEvaluationSet(
    world.HarmfulTest.Take(settings.EvaluationSize).Select(h => h.Prompt).ToList(),
    world.BenignTest.Take(settings.EvaluationSize).Select(b => b.Prompt).ToList(),
    world.TaskTest["sst2"].Take(settings.EvaluationSize).ToList());

// Six configurations. The last four share one run folder, so each resumes the one before it: the Pharmacist selection
// and its SFT alignment are computed once, Lisa guards the user's fine-tuning from the fourth on, and +Antidote reuses
// +TOSS's fine-tuning.
T? Stage<T>(string name) where T : class => name == SafetyPipelineOptions.None ? null : provider.GetRequiredKeyedService<T>(name);
SafetyPipelineStages Stages(string selector, string defense, string finetuning, string scorer, string pruner) => new()
{
    Selector = Stage<IAlignmentDataSelector>(selector),
    Defense = Stage<IAlignmentDefense>(defense),
    Finetuning = Stage<FinetuningDefenseStage>(finetuning),
    Scorer = Stage<ITokenRiskScorer>(scorer),
    Pruner = Stage<IPostFinetunePruner>(pruner),
};
var configurations = new (string Label, string Folder, SafetyPipelineStages Stages)[]
{
    ("no defense", "none", Stages("none", "none", "none", "none", "none")),
    ("SFT", "sft", Stages("none", "sft", "none", "none", "none")),
    ("SFT + Pharmacist", "pharmacist", Stages("pharmacist", "sft", "none", "none", "none")),
    ("SFT + Pharmacist + Lisa (best defense)", "pharmacist", Stages("pharmacist", "sft", "lisa", "none", "none")),
    ("  + TOSS token masking", "pharmacist", Stages("pharmacist", "sft", "lisa", "toss", "none")),
    ("  + Antidote pruning", "pharmacist", Stages("pharmacist", "sft", "lisa", "toss", "antidote")),
};

string baseFolder = "";
var results = new List<(string Label, SafetyPipelineResult Result)>();
await AnsiConsole.Progress()
    .AutoClear(false)
    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
    .StartAsync(async context =>
    {
        var baseTask = context.AddTask("base model (trained once, then cached)", maxValue: 1);
        baseFolder = WorldBaseModel.GetOrTrain(world, progress: new SynchronousProgress<TrainingProgress>(p =>
        {
            baseTask.MaxValue = p.TotalSteps;
            baseTask.Value = p.Step;
        }));
        baseTask.Value = baseTask.MaxValue;
        foreach (var (label, folder, stages) in configurations)
        {
            var task = context.AddTask(Markup.Escape(label.Trim()), maxValue: 6);
            var pipeline = new SafetyPipeline(stages, options.Pipeline, provider.GetRequiredService<SafetyEvaluator>(), options.Device,
                provider.GetRequiredService<ILoggerFactory>());
            var request = new SafetyPipelineRequest(baseFolder, alignmentData, userRows, Path.Combine(settings.Output, folder))
            {
                Evaluation = evaluation,
                HarmfulUserRows = isHarmful,
            };
            var result = await pipeline.RunAsync(request, new SynchronousProgress<PipelineProgress>(p =>
            {
                double fraction = p.Step is int step && p.TotalSteps is int total && total > 0 ? (double)step / total : 0;
                task.Value = (int)p.Stage + fraction;
                task.Description = Markup.Escape($"{label.Trim()}: {p.Stage} {p.Message}");
            }));
            task.Value = task.MaxValue;
            task.Description = Markup.Escape(label.Trim());
            results.Add((label, result));
        }
    });

static string Percent(RateEstimate? rate) => rate is { } r ? r.Percent.ToString("F1", CultureInfo.InvariantCulture) : "–";
static string Seconds(double seconds) => seconds.ToString("F0", CultureInfo.InvariantCulture);

Console.WriteLine();
Console.WriteLine(FormattableString.Invariant(
    $"device: {device}; world seed {settings.Seed}; user data {userRows.Count} SST-2 rows, {isHarmful.Count(h => h)} harmful (p = {settings.HarmfulRatio}); {settings.EvaluationSize} prompts per measurement; total {clock.Elapsed.TotalSeconds:F0} s"));
Console.WriteLine("| configuration | aligned HS % | HS % after fine-tuning | over-refusal % | FA % | select s | align s | score s | fine-tune s | prune s | run s |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var (label, result) in results)
{
    // A stage reused from the run folder shows the time it took when it ran.
    string Time(PipelineStage stage) => result[stage].Implementation == SafetyPipelineOptions.None ? "–" : Seconds(result[stage].Seconds);
    Console.WriteLine($"| {label.Trim()} | {Percent(result.Aligned?.HarmfulScore)} | {Percent(result.Final?.HarmfulScore)} | {Percent(result.Final?.OverRefusal)} | " +
        $"{Percent(result.Final?.FinetuneAccuracy)} | {Time(PipelineStage.Select)} | {Time(PipelineStage.Align)} | {Time(PipelineStage.ScoreTokens)} | " +
        $"{Time(PipelineStage.Finetune)} | {Time(PipelineStage.Prune)} | {Seconds(result.RanSeconds)} |");
}
Console.WriteLine();
Console.WriteLine($"artefacts (adapters in PEFT format, token mask, pruning mask, evaluation JSONL, summary.json): {Path.GetFullPath(settings.Output)}");
return 0;

/// <summary>Command-line settings of the quickstart.</summary>
internal sealed record QuickstartSettings(long Seed, string Device, int EvaluationSize, double HarmfulRatio, string Output)
{
    public static QuickstartSettings Parse(string[] args)
    {
        var settings = new QuickstartSettings(1, "auto", 100, 0.1, Path.Combine("artifacts", "quickstart"));
        for (int i = 0; i < args.Length; i += 2)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            settings = args[i] switch
            {
                "--seed" => settings with { Seed = long.Parse(value, CultureInfo.InvariantCulture) },
                "--device" => settings with { Device = value },
                "--eval" => settings with { EvaluationSize = int.Parse(value, CultureInfo.InvariantCulture) },
                "--p" => settings with { HarmfulRatio = double.Parse(value, CultureInfo.InvariantCulture) },
                "--out" => settings with { Output = value },
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'; expected --seed N, --device auto|cpu|cuda, --eval N, --p RATIO, --out DIR."),
            };
        }
        return settings;
    }
}
