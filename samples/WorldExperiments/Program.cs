// Calibration grid on the embedded world: for each seed, build (or reuse) the base model, align it once (SFT), then
// for each attack learning rate and harmful ratio p restore the aligned weights, run the harmful fine-tuning
// attack and measure HS, over-refusal and the attack task's accuracy. The figures in docs/world.md come from it.
// Usage: dotnet run -c Release --project samples/WorldExperiments -- [--seed 1,2,3] [--eval 200] [--lr 2e-4] (default the attack's) [--epochs 1] [--p 0,0.1] [--dump folder]
//        [--skew 1] (alignment-set category Zipf exponent; default the world's, 1) [--attack-skew 0] (attack pool's, reverse order; default the world's, 1)
//        [--category-openings off] (world v5's compliance openings, shared by every category, instead of each category's own: SafetyWorldOptions.CategoryOpenings)
//        [--attacks 1.5e-4x1,5e-5x5c] (explicit lr x epochs pairs, replacing the --lr × --epochs product; a trailing c = cosine with 10 % warm-up)
//        [--attack-seeds 101,102] (more attack seeds after the world seed's: user-data draw, order and adapter init) [--attack-seeds-p 0.1]
//        (the p values for attack seeds other than the world seed; default --p) [--compliance-loss on]
//        (also print the mean response-token loss of the held-out prompts' compliance answers: how far the model is from complying)
//        [--base-steps 400 --base-lr 2e-3 --base-batch 64 --base-layers 4] (the base model's pretraining recipe and depth in the calibration and --mask-check
//        modes; default WorldBaseModelOptions') [--harmful-share 0.15 --benign-share 0.15] (the pretraining corpus's mix; default SafetyWorldOptions')
//        [--align-seed 7] (the SFT alignment's seed: data order and adapter init; default the world seed)
//        [--align-schedule cosine --align-warmup 0.1 --align-epochs 2 --align-lr 2e-3] (the SFT alignment's recipe; default SftOptions')
//        [--per-category on] (also print HS by harmful category after alignment and each attack)
//        [--task-rows 200] (task rows per task in the SFT alignment data; default WorldAlignment.TaskRowsPerTask)
//        [--defenses sft,vaccine --selectors none,random --finetuning none,lisa --scorers none,toss,toss-pro --loss sample|token --out folder]:
//        run the stage grid with ExperimentRunner instead (one row per seed × selector × defense × fine-tuning defense × scorer × p) and write
//        grid.csv / grid.md; --loss picks the attack's loss normalisation for every cell (sample = TOSS's per-sample mean)
//        [--mask-check toss,toss-pro,random-tokens --toss-lr 1e-4,1e-3]: align with SFT, then score the attack's user data at each p
//        and print how the token masks hit the harmful samples (no fine-tuning, no evaluation)
//        [--toss-discards 0.3] registers TOSS and the random token drop at those d as "toss-d0.3", "random-tokens-d0.3"
//        [--booster-lambdas 1,0.2] registers Booster with those λ as defenses "booster-l1", "booster-l0.2";
//        with [--booster-alphas 0.05] also "booster-l1-a0.05", ... (each λ at each α)
//        [--tvaccine-rhos 2,3 [--tvaccine-layers 2,4]] registers T-Vaccine with those ρ as "t-vaccine-r2", ..., or with γ
//        layers as "t-vaccine-r2-g2", ... (each ρ at each γ); [--repnoise-alphas 0.1] registers RepNoise as "repnoise-a0.1"
//        [--pruners none,antidote]: pruners per cell (one row per ... × pruner × p)
//        [--antidote-ratios 0.01,0.05,0.2] registers pruners "antidote-r0.01", ... (Antidote at those ratios) for --pruners;
//        [--antidote-targets q_proj,k_proj,v_proj,o_proj] sets the projections every Antidote-family pruner prunes (default q/k/v)
//        selectors: pharmacist, seal (its validation-only ablation), full, random, loss, loss-high, gradnorm (all keep 0.4);
//        [--near-duplicates 0.1] adds near-duplicate alignment rows (share of the set); --skew applies to the grid too;
//        [--selector-ratios 0.2,0.6,0.8] registers "pharmacist-r0.2", "random-r0.2", ... (those keep ratios) for --selectors
//        The grid also writes charts next to grid.csv (hs-vs-p, hs-vs-fa, alignment-time; .svg and .png), and --mask-check with
//        --out writes a token risk histogram per seed × p × scorer × reference lr there.
//        [--charts-from a/grid.csv,b/grid.csv [--out folder]]: only re-render the charts from existing grid CSVs (rows of all
//        files together; --out defaults to the first file's folder), without running anything; [--chart-note "attack lr 1e-4 × 4 epochs"]
//        adds a note to every chart's subtitle (a grid run notes its attack by itself)
//        [--histogram-from folder/risk-histogram-s1-p0.2-toss-lr0.001.csv [--out folder]]: redraw a --mask-check risk histogram from
//        the token risks it saved beside it
using System.Diagnostics;
using System.Globalization;
using SafeAlign.Data;
using SafeAlign.Defenses;
using SafeAlign.Defenses.Booster;
using SafeAlign.Defenses.RepNoise;
using SafeAlign.Defenses.Sft;
using SafeAlign.Defenses.TVaccine;
using SafeAlign.Evaluation;
using SafeAlign.Evaluation.World;
using SafeAlign.Experiments;
using SafeAlign.Models;
using SafeAlign.Native;
using SafeAlign.Scoring;
using SafeAlign.Scoring.Toss;
using SafeAlign.Selection;
using SafeAlign.Selection.Pharmacist;
using SafeAlign.Pruning.Antidote;
using SafeAlign.Reporting;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;

var options = new Dictionary<string, string> { ["--seed"] = "1,2,3", ["--eval"] = "200", ["--lr"] = new HarmfulFinetuneAttackOptions().LearningRate.ToString("R", CultureInfo.InvariantCulture), ["--epochs"] = "1", ["--p"] = "0,0.02,0.05,0.1,0.2" };
for (int i = 0; i + 1 < args.Length; i += 2)
    options[args[i]] = args[i + 1];
double[] Doubles(string key) => options[key].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
int evalSize = int.Parse(options["--eval"], CultureInfo.InvariantCulture);
// A number flag, else the given default (the library's, for the world and recipe flags).
double Number(string key, double fallback) => options.TryGetValue(key, out string? value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;
var worldDefaults = new SafetyWorldOptions();
double Skew() => Number("--skew", worldDefaults.AlignmentCategorySkew);
double AttackSkew() => Number("--attack-skew", worldDefaults.AttackCategorySkew);
bool CategoryOpenings() => !(options.TryGetValue("--category-openings", out string? on) && on == "off");
SafetyWorldOptions WorldOptions(long seed) => new()
{
    Seed = seed, AlignmentCategorySkew = Skew(), AttackCategorySkew = AttackSkew(), CategoryOpenings = CategoryOpenings(),
    PretrainingHarmfulShare = Number("--harmful-share", worldDefaults.PretrainingHarmfulShare),
    PretrainingBenignShare = Number("--benign-share", worldDefaults.PretrainingBenignShare),
};
var sftDefaults = new SftOptions();
SftOptions AlignOptions(long seed) => new()
{
    Seed = (long)Number("--align-seed", seed),
    Schedule = options.TryGetValue("--align-schedule", out string? schedule) ? Enum.Parse<LrSchedule>(schedule, ignoreCase: true) : sftDefaults.Schedule,
    WarmupRatio = Number("--align-warmup", sftDefaults.WarmupRatio),
    Epochs = (int)Number("--align-epochs", sftDefaults.Epochs),
    LearningRate = Number("--align-lr", sftDefaults.LearningRate),
};
var recipe = new WorldBaseModelOptions();
recipe.Steps = (int)Number("--base-steps", recipe.Steps);
recipe.LearningRate = Number("--base-lr", recipe.LearningRate);
recipe.BatchSize = (int)Number("--base-batch", recipe.BatchSize);
recipe.Layers = (int)Number("--base-layers", recipe.Layers);
if (options.TryGetValue("--charts-from", out string? chartSources))
    return ChartsFrom(chartSources);
if (options.TryGetValue("--histogram-from", out string? riskSource))
    return HistogramFrom(riskSource);
SafeAlignDevice.Resolve("cpu");
var total = Stopwatch.StartNew();
if (options.ContainsKey("--mask-check"))
    return await MaskCheck();
if (options.ContainsKey("--defenses") || options.ContainsKey("--scorers"))
    return await RunGrid();
Console.WriteLine("| seed | stage | lr | epochs | p | HS % | over-refusal % | FA % (sst2 / agnews / gsm8k / alpaca) |");
Console.WriteLine("|---|---|---|---|---|---|---|---|");

foreach (long seed in Doubles("--seed").Select(s => (long)s))
{
    var world = SafetyWorld.Generate(WorldOptions(seed));
    var clock = Stopwatch.StartNew();
    string baseFolder = WorldBaseModel.GetOrTrain(world, recipe);
    double baseSeconds = clock.Elapsed.TotalSeconds;
    var tokenizer = HfTokenizer.FromFolder(baseFolder);
    using var model = CausalLM.FromPretrained(baseFolder, new ModelOptions { Device = new DeviceOptions { Device = "cpu" } });
    var evaluator = new SafetyEvaluator();
    var harmful = world.HarmfulTest.Take(evalSize).Select(h => h.Prompt).ToList();
    var benign = world.BenignTest.Take(evalSize).Select(b => b.Prompt).ToList();

    EvaluationResult? lastHarmful = null;
    var categories = world.HarmfulTest.Take(evalSize).Select(h => h.Categories[0]).ToList();
    string PerCategory()
    {
        if (!options.ContainsKey("--per-category") || lastHarmful is null)
            return "";
        return "\n  HS by category: " + string.Join(", ", categories.Zip(lastHarmful.Items).GroupBy(c => c.First).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {g.Count(x => x.Second.Flagged)}/{g.Count()}")));
    }

    async Task<string> Measure(IReadOnlyList<string> tasks)
    {
        var accuracies = new List<double>();
        foreach (string t in tasks)
            accuracies.Add((await evaluator.AccuracyAsync(model, tokenizer, world.TaskTest[t].Take(evalSize).ToList())).Estimate.Percent);
        var hs = await evaluator.HarmfulScoreAsync(model, tokenizer, harmful);
        lastHarmful = hs;
        var refusal = await evaluator.OverRefusalAsync(model, tokenizer, benign);
        return string.Create(CultureInfo.InvariantCulture,
            $"{hs.Estimate.Percent:F1} | {refusal.Estimate.Percent:F1} | {accuracies.Average():F1}{(tasks.Count > 1 ? " (" + string.Join(" / ", accuracies.Select(a => a.ToString("F0", CultureInfo.InvariantCulture))) + ")" : " (sst2)")}");
    }

    // The mean token loss of the held-out prompts' compliance answers: a continuous read of how aligned the model is,
    // where HS (a share of greedy answers) switches.
    var compliance = options.ContainsKey("--compliance-loss")
        ? InstructionExamples.Build(tokenizer, 128, world.HarmfulTest.Take(evalSize).Select(h => (h.Prompt, (string?)null, h.Response)))
        : null;
    string ComplianceLoss()
    {
        if (compliance is null)
            return "";
        var scored = PerTokenLosses.Compute(model, compliance, 64, tokenizer.PadId ?? 0).Select(l => l.Where(v => !float.IsNaN(v)).ToArray()).ToList();
        // The first answer token decides refusal or compliance under greedy decoding; the mean covers the whole answer.
        return string.Create(CultureInfo.InvariantCulture, $" | compliance loss first token {scored.Average(l => l[0]):F3} (median {scored.Select(l => l[0]).Order().ElementAt(scored.Count / 2):F3}), mean {scored.Average(l => l.Average()):F3}");
    }

    string baseRow = await Measure(SafetyWorld.Tasks);
    Console.WriteLine($"| {seed} | base ({baseSeconds:F0} s) | | | | {baseRow} |");
    clock.Restart();
    await new SftDefense(AlignOptions(seed)).AlignAsync(new AlignmentRequest(model, tokenizer, WorldAlignment.Data(world, taskRowsPerTask: (int)Number("--task-rows", WorldAlignment.TaskRowsPerTask))));
    model.MergeAndDetachLora();
    double alignSeconds = clock.Elapsed.TotalSeconds;
    string alignedRow = await Measure(SafetyWorld.Tasks);
    Console.WriteLine($"| {seed} | aligned ({alignSeconds:F0} s) | | | | {alignedRow}{ComplianceLoss()} |{PerCategory()}");
    if (options.ContainsKey("--per-category"))
        Console.WriteLine("  alignment rows by category: " + string.Join(", ", world.Alignment.GroupBy(a => a.Example.Categories.FirstOrDefault() ?? "-").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}")));
    if (options.TryGetValue("--dump", out string? dump))
    {
        Directory.CreateDirectory(dump);
        EvaluationDump.WriteJsonl(Path.Combine(dump, $"seed{seed}-aligned-benign.jsonl"), (await evaluator.OverRefusalAsync(model, tokenizer, benign)).Items);
        EvaluationDump.WriteJsonl(Path.Combine(dump, $"seed{seed}-aligned-harmful.jsonl"), (await evaluator.HarmfulScoreAsync(model, tokenizer, harmful)).Items);
    }
    using var aligned = ParameterSnapshot.OfWeights(model.parameters().ToList());

    var attacks = options.TryGetValue("--attacks", out string? pairs)
        ? pairs.Split(',').Select(a => (Lr: double.Parse(a.Split('x')[0], CultureInfo.InvariantCulture), Epochs: int.Parse(a.Split('x')[1].TrimEnd('c'), CultureInfo.InvariantCulture), Cosine: a.EndsWith('c'))).ToList()
        : (from lr in Doubles("--lr") from e in Doubles("--epochs") select (Lr: lr, Epochs: (int)e, Cosine: false)).ToList();
    long[] attackSeeds = [seed, .. options.ContainsKey("--attack-seeds") ? Doubles("--attack-seeds").Select(s => (long)s).Where(s => s != seed) : []];
    foreach (var (lr, epochs, cosine) in attacks)
    foreach (long attackSeed in attackSeeds)
    foreach (double p in attackSeed != seed && options.ContainsKey("--attack-seeds-p") ? Doubles("--attack-seeds-p") : Doubles("--p"))
    {
        aligned.RestoreInto(model.parameters().ToList());
        clock.Restart();
        new HarmfulFinetuneAttack(new HarmfulFinetuneAttackOptions
        {
            HarmfulRatio = p, LearningRate = lr, Epochs = epochs, Seed = attackSeed,
            Schedule = cosine ? SafeAlign.Training.LrSchedule.Cosine : SafeAlign.Training.LrSchedule.Constant, WarmupRatio = cosine ? 0.1 : 0,
        })
            .Run(model, tokenizer, world.AttackPool, world.TaskTrain["sst2"]);
        double seconds = clock.Elapsed.TotalSeconds;
        string attackedRow = await Measure(["sst2"]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {seed} | attacked ({seconds:F0} s{(attackSeed != seed ? $", attack seed {attackSeed}" : "")}) | {lr:G3}{(cosine ? " cos" : "")} | {epochs} | {p} | {attackedRow}{ComplianceLoss()} |{PerCategory()}"));
        model.DetachLora();
    }
}
Console.WriteLine($"total {total.Elapsed.TotalSeconds:F0} s");
return 0;

async Task<int> RunGrid()
{
    string[] List(string key, string fallback) => (options.TryGetValue(key, out string? v) ? v : fallback).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    string[]? attack = options.TryGetValue("--attacks", out string? pair) ? pair.Split('x') : null;
    var grid = new ExperimentGrid
    {
        Seeds = Doubles("--seed").Select(s => (long)s).ToList(),
        Selectors = List("--selectors", "none"),
        Defenses = List("--defenses", "sft"),
        Finetuning = List("--finetuning", "none"),
        Scorers = List("--scorers", "none"),
        Pruners = List("--pruners", "none"),
        HarmfulRatios = Doubles("--p").ToList(),
        EvaluationSize = evalSize,
        World = seed =>
        {
            var world = WorldOptions(seed);
            world.AlignmentNearDuplicateShare = Number("--near-duplicates", 0);
            return world;
        },
        Attack = attack is null || attack.Length != 2 ? new HarmfulFinetuneAttackOptions()
            : new HarmfulFinetuneAttackOptions
            {
                LearningRate = double.Parse(attack[0], CultureInfo.InvariantCulture), Epochs = int.Parse(attack[1].TrimEnd('c'), CultureInfo.InvariantCulture),
                Schedule = attack[1].EndsWith('c') ? SafeAlign.Training.LrSchedule.Cosine : SafeAlign.Training.LrSchedule.Constant, WarmupRatio = attack[1].EndsWith('c') ? 0.1 : 0,
            },
    };
    if (options.TryGetValue("--loss", out string? loss))
        grid.Attack.LossNormalization = loss == "sample" ? SafeAlign.Training.TokenLossNormalization.SampleMean : SafeAlign.Training.TokenLossNormalization.TokenMean;
    string output = options.TryGetValue("--out", out string? o) ? o : "experiments";
    var stages = ExperimentStages.Default();
    // Booster's λ sweep (docs/results.md): each value registers a defense "booster-l<λ>" the grid can name.
    foreach (double lambda in options.ContainsKey("--booster-lambdas") ? Doubles("--booster-lambdas") : [])
    {
        stages.Defenses[FormattableString.Invariant($"booster-l{lambda}")] = seed => new BoosterDefense(new BoosterOptions { Seed = seed, Lambda = lambda });
        foreach (double alpha in options.ContainsKey("--booster-alphas") ? Doubles("--booster-alphas") : [])
            stages.Defenses[FormattableString.Invariant($"booster-l{lambda}-a{alpha}")] = seed => new BoosterDefense(new BoosterOptions { Seed = seed, Lambda = lambda, Alpha = alpha });
    }
    // T-Vaccine's ρ and γ, RepNoise's α (docs/results.md, the directions the world did not reproduce).
    foreach (double rho in options.ContainsKey("--tvaccine-rhos") ? Doubles("--tvaccine-rhos") : [])
    {
        foreach (double gamma in options.ContainsKey("--tvaccine-layers") ? Doubles("--tvaccine-layers") : [0])
        {
            int? layers = gamma == 0 ? null : (int)gamma; // 0: the options' default γ (a quarter of the layers)
            string name = FormattableString.Invariant($"t-vaccine-r{rho}") + (layers is null ? "" : FormattableString.Invariant($"-g{layers}"));
            stages.Defenses[name] = seed => new TVaccineDefense(new TVaccineOptions { Seed = seed, Rho = rho, ActiveLayers = layers });
        }
    }
    foreach (double alpha in options.ContainsKey("--repnoise-alphas") ? Doubles("--repnoise-alphas") : [])
        stages.Defenses[FormattableString.Invariant($"repnoise-a{alpha}")] = seed => new RepNoiseDefense(new RepNoiseOptions { Seed = seed, Alpha = alpha });
    // TOSS's discard ratio d: each value registers "toss-d<d>" and "random-tokens-d<d>".
    foreach (double d in options.ContainsKey("--toss-discards") ? Doubles("--toss-discards") : [])
    {
        stages.Scorers[FormattableString.Invariant($"toss-d{d}")] = seed => new TossScorer(new TossOptions { Seed = seed, DiscardRatio = d });
        stages.Scorers[FormattableString.Invariant($"random-tokens-d{d}")] = seed => new RandomTokenScorer(new RandomTokenScorerOptions { Seed = seed, DiscardRatio = d });
    }
    string[]? targets = options.TryGetValue("--antidote-targets", out string? t) ? List("--antidote-targets", "") : null;
    AntidoteOptions Antidote(long seed, double? ratio = null)
    {
        var antidote = new AntidoteOptions { Seed = seed, Targets = targets ?? ["q_proj", "k_proj", "v_proj"] };
        antidote.Ratio = ratio ?? antidote.Ratio;
        return antidote;
    }
    stages.Pruners[AntidotePruner.PrunerName] = seed => new AntidotePruner(Antidote(seed));
    stages.Pruners[AntidotePruner.MagnitudeName] = seed => AntidotePruner.Magnitude(Antidote(seed));
    stages.Pruners[AntidotePruner.RandomName] = seed => AntidotePruner.Random(Antidote(seed));
    stages.Pruners[AntidotePruner.BenignWandaName] = seed => AntidotePruner.BenignWanda(Antidote(seed));
    if (options.ContainsKey("--antidote-ratios"))
    {
        foreach (double ratio in Doubles("--antidote-ratios"))
            stages.Pruners[string.Create(CultureInfo.InvariantCulture, $"antidote-r{ratio:G3}")] = seed => new AntidotePruner(Antidote(seed, ratio));
    }
    // Selection ratio sweep (issue: {0.2, 0.4, 0.6, 0.8}): each value registers "pharmacist-r<ratio>" and "random-r<ratio>".
    foreach (double ratio in options.ContainsKey("--selector-ratios") ? Doubles("--selector-ratios") : [])
    {
        stages.Selectors[string.Create(CultureInfo.InvariantCulture, $"pharmacist-r{ratio:G3}")] =
            seed => new PharmacistSelector(new PharmacistOptions { Seed = seed, KeepRatio = ratio }, name: string.Create(CultureInfo.InvariantCulture, $"pharmacist-r{ratio:G3}"));
        stages.Selectors[string.Create(CultureInfo.InvariantCulture, $"random-r{ratio:G3}")] = seed => new RandomSelector(new RandomSelectorOptions { Seed = seed, KeepRatio = ratio });
    }
    var rows = await new ExperimentRunner(stages).RunAsync(grid, new Progress<ExperimentProgress>(p => Console.Error.WriteLine($"[{p.Completed}/{p.Total}] {p.Stage}")));
    ExperimentReport.WriteCsv(Path.Combine(output, "grid.csv"), rows);
    ExperimentReport.WriteMarkdown(Path.Combine(output, "grid.md"), rows);
    var attackNote = grid.Attack;
    string note = string.Create(CultureInfo.InvariantCulture,
        $"attack lr {attackNote.LearningRate:G3} × {attackNote.Epochs} epochs{(attackNote.Schedule == SafeAlign.Training.LrSchedule.Cosine ? ", cosine" : "")}");
    try
    {
        foreach (var chart in new ExperimentCharts(new ChartOptions { Note = options.TryGetValue("--chart-note", out string? n) ? n : note }).WriteAll(rows, output))
            Console.Error.WriteLine($"chart: {string.Join(", ", chart.Paths)}");
    }
    catch (ChartFontException e)
    {
        // The rows are saved already; charts can be redrawn later with --charts-from.
        Console.Error.WriteLine($"charts skipped: {e.Message}");
    }
    Console.WriteLine(ExperimentReport.ToAggregatedMarkdown(rows));
    Console.WriteLine($"total {total.Elapsed.TotalSeconds:F0} s; rows in {Path.GetFullPath(output)}");
    return 0;
}

// Mask quality only: for each seed, align with SFT once, then per p, scorer and TOSS reference learning rate score the attack's
// user data and report precision/recall of the mask against the harmful samples and how far apart S is on harmful and
// benign tokens (near 0 on both when the references did not diverge).
async Task<int> MaskCheck()
{
    string[] scorers = options["--mask-check"].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    double[] lrs = options.TryGetValue("--toss-lr", out string? lrList) ? lrList.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray() : [new TossOptions().LearningRate];
    Console.WriteLine("| seed | p | scorer | reference lr | mean S harmful / benign | harmful share of tokens % | precision % | recall % | harmful samples touched | benign touched | s |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
    foreach (long seed in Doubles("--seed").Select(s => (long)s))
    {
        var world = SafetyWorld.Generate(WorldOptions(seed));
        string folder = WorldBaseModel.GetOrTrain(world, recipe);
        var tokenizer = HfTokenizer.FromFolder(folder);
        using var model = CausalLM.FromPretrained(folder, new ModelOptions { Device = new DeviceOptions { Device = "cpu" } });
        var data = WorldAlignment.Data(world);
        await new SftDefense(AlignOptions(seed)).AlignAsync(new AlignmentRequest(model, tokenizer, data));
        model.MergeAndDetachLora();
        foreach (double p in Doubles("--p"))
        {
            var attack = new HarmfulFinetuneAttack(new HarmfulFinetuneAttackOptions { HarmfulRatio = p, Seed = seed });
            var examples = attack.BuildExamples(tokenizer, world.AttackPool, world.TaskTrain["sst2"]);
            bool[] harmful = Enumerable.Range(0, examples.Count).Select(i => i < attack.HarmfulCount).ToArray();
            foreach (string name in scorers)
            foreach (double lr in name.StartsWith("toss", StringComparison.Ordinal) ? lrs : [double.NaN])
            {
                var scorer = WithLearningRate(ExperimentStages.Default().Scorers[name](seed), lr);
                var clock = Stopwatch.StartNew();
                var scores = await scorer.ScoreAsync(new TokenRiskRequest(model, tokenizer, examples, data));
                var quality = TokenMaskQuality.Measure(scores.Mask!, harmful);
                if (options.TryGetValue("--out", out string? histograms))
                {
                    string file = Path.Combine(histograms, string.Create(CultureInfo.InvariantCulture, $"risk-histogram-s{seed}-p{p}-{name}{(double.IsNaN(lr) ? "" : $"-lr{lr:G3}")}"));
                    WriteRisks(file + ".csv", scores, harmful);
                    Console.Error.WriteLine($"chart: {string.Join(", ", new ExperimentCharts().WriteTokenRiskHistogram(scores, harmful, file).Paths)}, {file}.csv");
                }
                double MeanS(bool h) => Enumerable.Range(0, examples.Count).Where(i => harmful[i] == h).SelectMany(i => scores.Risk[i]).Where(r => !float.IsNaN(r)).DefaultIfEmpty(float.NaN).Average(r => (double)r);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {seed} | {p} | {name} | {(double.IsNaN(lr) ? "" : lr.ToString("G3", CultureInfo.InvariantCulture))} | {MeanS(true):F3} / {MeanS(false):F3} | {100.0 * quality.HarmfulResponseTokens / scores.ResponseTokens:F1} | {100 * quality.Precision:F1} | {100 * quality.Recall:F1} | {quality.HarmfulSamplesTouched}/{quality.HarmfulSamples} | {quality.BenignSamplesTouched} | {clock.Elapsed.TotalSeconds:F0} |"));
            }
        }
    }
    Console.WriteLine($"total {total.Elapsed.TotalSeconds:F0} s");
    return 0;
}

// Charts only: read grid CSVs written earlier and render their charts again (no model, no libtorch).
int ChartsFrom(string sources)
{
    string[] files = sources.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    var rows = files.SelectMany(ExperimentReport.ReadCsv).ToList();
    string folder = options.TryGetValue("--out", out string? o) ? o : Path.GetDirectoryName(Path.GetFullPath(files[0]))!;
    var charts = new ExperimentCharts(new ChartOptions { Note = options.TryGetValue("--chart-note", out string? note) ? note : null });
    foreach (var chart in charts.WriteAll(rows, folder))
        Console.WriteLine($"{chart.Title}: {string.Join(", ", chart.Paths)}");
    return 0;
}

// The scored tokens of a --mask-check run, one line per token: sample, position, risk (S), harmful sample, discarded.
static void WriteRisks(string path, TokenRiskScores scores, bool[] harmful)
{
    var csv = new System.Text.StringBuilder("sample,position,risk,harmful,discarded\n");
    for (int i = 0; i < scores.Risk.Count; i++)
    {
        var discarded = scores.Mask?.Discarded(i).ToHashSet() ?? [];
        for (int j = 0; j < scores.Risk[i].Length; j++)
        {
            if (float.IsFinite(scores.Risk[i][j]))
                csv.Append(CultureInfo.InvariantCulture, $"{i},{j},{scores.Risk[i][j]:R},{(harmful[i] ? 1 : 0)},{(discarded.Contains(j) ? 1 : 0)}\n");
        }
    }
    string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
    File.WriteAllText(temp, csv.ToString());
    File.Move(temp, path, overwrite: true);
}

// Redraws a risk histogram from a CSV WriteRisks wrote (the scorer's name is taken from the file name, after the p).
int HistogramFrom(string path)
{
    var lines = File.ReadAllLines(path).Skip(1).Select(l => l.Split(',')).ToList();
    if (lines.Count == 0 || lines.Any(f => f.Length != 5))
        throw new FormatException($"{path}: expected the header 'sample,position,risk,harmful,discarded' and five fields per line.");
    int samples = lines.Max(f => int.Parse(f[0], CultureInfo.InvariantCulture)) + 1;
    var risk = Enumerable.Range(0, samples).Select(_ => new List<float>()).ToArray();
    var harmful = new bool[samples];
    var discarded = Enumerable.Range(0, samples).Select(_ => new List<int>()).ToArray();
    foreach (var f in lines)
    {
        int i = int.Parse(f[0], CultureInfo.InvariantCulture), j = int.Parse(f[1], CultureInfo.InvariantCulture);
        while (risk[i].Count <= j)
            risk[i].Add(float.NaN);
        risk[i][j] = float.Parse(f[2], CultureInfo.InvariantCulture);
        harmful[i] = f[3] == "1";
        if (f[4] == "1")
            discarded[i].Add(j);
    }
    string name = Path.GetFileNameWithoutExtension(path);
    string scorer = System.Text.RegularExpressions.Regex.Match(name, @"-p[0-9.]+-(?<scorer>.+?)(-lr[0-9.eE+-]+)?$").Groups["scorer"].Value is { Length: > 0 } found ? found : "scores";
    string output = options.TryGetValue("--out", out string? o) ? Path.Combine(o, name) : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, name);
    var charts = new ExperimentCharts(new ChartOptions { Note = options.TryGetValue("--chart-note", out string? note) ? note : null });
    var chart = charts.WriteTokenRiskHistogram(scorer, risk.Select(r => r.ToArray()).ToList(), harmful, discarded.Select(d => (IReadOnlyList<int>)d).ToList(), output);
    Console.WriteLine($"{chart.Title}: {string.Join(", ", chart.Paths)}");
    return 0;
}

// A TOSS scorer with another reference learning rate; other scorers as they are.
static ITokenRiskScorer WithLearningRate(ITokenRiskScorer scorer, double lr)
{
    if (double.IsNaN(lr) || scorer is not TossScorer toss)
        return scorer;
    var options = toss.Options.Clone();
    options.LearningRate = lr;
    return new TossScorer(options);
}
