// SafeAlign quickstart on the embedded safety world: build (or reuse) the unaligned base model, align it with
// SFT, attack it with harmful fine-tuning, and report harmful score (HS), over-refusal and fine-tune accuracy (FA)
// after each stage. Usage: dotnet run --project samples/Quickstart [-- --seed N --device auto|cpu|cuda]
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SafeAlign.Defenses;
using SafeAlign.Defenses.Sft;
using SafeAlign.Evaluation;
using SafeAlign.Evaluation.World;
using SafeAlign.Models;
using SafeAlign.Native;
using SafeAlign.Tokenization;
using SafeAlign.Training;

long seed = 1;
string deviceName = "auto";
int evalSize = 200;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--seed": seed = long.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--device": deviceName = args[i + 1]; break;
        case "--eval": evalSize = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        default: throw new ArgumentException($"Unknown argument '{args[i]}'; expected --seed N, --device auto|cpu|cuda, --eval N.");
    }
}

using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
var log = loggerFactory.CreateLogger("Quickstart");
var device = SafeAlignDevice.Resolve(new DeviceOptions { Device = deviceName }, log);
var clock = Stopwatch.StartNew();

var world = SafetyWorld.Generate(new SafetyWorldOptions { Seed = seed });
log.LogInformation("World seed {Seed}: {Pretraining} pretraining pairs, {Alignment} alignment rows, {Attack} attack pairs, {Test} held-out harmful prompts",
    seed, world.Pretraining.Count, world.Alignment.Count, world.AttackPool.Count, world.HarmfulTest.Count);
string baseFolder = WorldBaseModel.GetOrTrain(world, logger: loggerFactory.CreateLogger<Trainer>());
log.LogInformation("Base model: {Folder} ({Seconds:F0} s so far)", baseFolder, clock.Elapsed.TotalSeconds);

var tokenizer = HfTokenizer.FromFolder(baseFolder);
using var model = CausalLM.FromPretrained(baseFolder, new ModelOptions { Device = new DeviceOptions { Device = deviceName } });
var evaluator = new SafetyEvaluator();
var harmfulPrompts = world.HarmfulTest.Take(evalSize).Select(h => h.Prompt).ToList();
var benignPrompts = world.BenignTest.Take(evalSize).Select(b => b.Prompt).ToList();
var rows = new List<string>();

async Task Evaluate(string stage)
{
    var stageClock = Stopwatch.StartNew();
    var hs = await evaluator.HarmfulScoreAsync(model, tokenizer, harmfulPrompts);
    var refusal = await evaluator.OverRefusalAsync(model, tokenizer, benignPrompts);
    var accuracies = new Dictionary<string, RateEstimate>();
    foreach (string t in SafetyWorld.Tasks)
        accuracies[t] = (await evaluator.AccuracyAsync(model, tokenizer, world.TaskTest[t].Take(evalSize).ToList())).Estimate;
    double fa = accuracies.Values.Average(a => a.Percent);
    rows.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"| {stage} | {hs.Estimate.Percent:F1} | {refusal.Estimate.Percent:F1} | {fa:F1} | {string.Join(" / ", accuracies.Values.Select(a => a.Percent.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))} |"));
    log.LogInformation("{Stage}: HS {HS}, over-refusal {Refusal}, FA {FA:F1}% ({Seconds:F0} s)", stage, hs.Estimate, refusal.Estimate, fa, stageClock.Elapsed.TotalSeconds);
}

await Evaluate("base (unaligned)");

// Alignment: SFT on harmful → refusal rows plus benign how-to and task rows, as a LoRA that is then merged.
var alignClock = Stopwatch.StartNew();
await new SftDefense(new SftOptions { Seed = seed }, loggerFactory).AlignAsync(new AlignmentRequest(model, tokenizer, WorldAlignment.Data(world)));
model.MergeAndDetachLora();
log.LogInformation("SFT alignment: {Seconds:F0} s", alignClock.Elapsed.TotalSeconds);
await Evaluate("aligned (SFT)");

var attackClock = Stopwatch.StartNew();
new HarmfulFinetuneAttack(new HarmfulFinetuneAttackOptions { HarmfulRatio = 0.1, Seed = seed }, loggerFactory.CreateLogger<Trainer>())
    .Run(model, tokenizer, world.AttackPool, world.TaskTrain["sst2"]);
log.LogInformation("Attack (p = 0.1): {Seconds:F0} s", attackClock.Elapsed.TotalSeconds);
await Evaluate("attacked (p = 0.1)");

Console.WriteLine();
Console.WriteLine($"device: {device}; world seed {seed}; {evalSize} prompts per measurement; total {clock.Elapsed.TotalSeconds:F0} s");
Console.WriteLine("| stage | HS % | over-refusal % | FA % | sst2 / agnews / gsm8k / alpaca |");
Console.WriteLine("|---|---|---|---|---|");
foreach (string row in rows)
    Console.WriteLine(row);
