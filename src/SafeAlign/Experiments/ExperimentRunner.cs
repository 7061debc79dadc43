using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SafeAlign.Data;
using SafeAlign.Defenses;
using SafeAlign.Evaluation;
using SafeAlign.Evaluation.World;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Native;
using SafeAlign.Pruning;
using SafeAlign.Scoring;
using SafeAlign.Selection;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;

namespace SafeAlign.Experiments;

/// <summary>
/// Runs an <see cref="ExperimentGrid"/> on the embedded world: per seed it builds the world and its base model, then
/// per selector and defense selects and aligns once, and per fine-tuning defense, scorer and harmful ratio restores the aligned
/// weights and attacks once, then per pruner prunes a copy of the attacked adapter and measures HS, over-refusal and fine-tune
/// accuracy. Rows come back in that loop order (…, scorer, p, pruner).
/// </summary>
public sealed class ExperimentRunner
{
    private readonly ExperimentStages _stages;
    private readonly SafetyEvaluator _evaluator;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;

    /// <summary>Creates a runner.</summary>
    /// <param name="stages">The stage implementations the grid may name; <see cref="ExperimentStages.Default"/> when null.</param>
    /// <param name="evaluator">Measures HS, over-refusal and accuracy; the refusal-pattern judge when null.</param>
    /// <param name="loggerFactory">Creates loggers; none by default.</param>
    public ExperimentRunner(ExperimentStages? stages = null, SafetyEvaluator? evaluator = null, ILoggerFactory? loggerFactory = null)
    {
        _stages = stages ?? ExperimentStages.Default();
        _evaluator = evaluator ?? new SafetyEvaluator();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<ExperimentRunner>();
    }

    /// <summary>Runs every cell of <paramref name="grid"/>.</summary>
    /// <param name="grid">What to run.</param>
    /// <param name="progress">Receives a report before each stage and after each row.</param>
    /// <param name="cancellationToken">Stops the run between (and inside) stages.</param>
    /// <returns>One row per cell.</returns>
    public async Task<IReadOnlyList<ExperimentRow>> RunAsync(ExperimentGrid grid, IProgress<ExperimentProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grid);
        grid.Validate();
        _stages.Check(grid);
        var rows = new List<ExperimentRow>(grid.Count);
        void Report(string stage) => progress?.Report(new ExperimentProgress(rows.Count, grid.Count, stage));

        foreach (long seed in grid.Seeds)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Report($"seed {seed}: world and base model");
            var world = SafetyWorld.Generate(grid.World(seed));
            string folder = WorldBaseModel.GetOrTrain(world, grid.BaseModel, _logger, cancellationToken: cancellationToken);
            var tokenizer = HfTokenizer.FromFolder(folder);
            using var model = CausalLM.FromPretrained(folder);
            var prompts = new Prompts(world, grid);
            using var baseWeights = ParameterSnapshot.OfWeights(Weights(model));
            var data = WorldAlignment.Data(world);

            foreach (string selectorName in grid.Selectors)
            {
                // Every selector scores the base model, not the last configuration's aligned (merged) weights.
                Restore(baseWeights, model);
                var (selected, selectionSeconds, defectAuc) = await SelectAsync(selectorName, seed, model, tokenizer, world, data, Report, cancellationToken).ConfigureAwait(false);
                foreach (string defenseName in grid.Defenses)
                {
                    Restore(baseWeights, model);
                    Report($"seed {seed}: aligning with {defenseName}" + (Is(selectorName) ? $" on the {selectorName} selection" : ""));
                    double alignmentSeconds = 0;
                    long peak = 0;
                    if (Is(defenseName))
                    {
                        PeakMemory.Reset(); // this alignment's peak, not the largest of the grid so far
                        var clock = Stopwatch.StartNew();
                        var result = await _stages.Defenses[defenseName](seed).AlignAsync(new AlignmentRequest(model, tokenizer, selected), cancellationToken: cancellationToken).ConfigureAwait(false);
                        model.MergeAndDetachLora();
                        peak = result.Training.PeakWorkingSetBytes;
                        alignmentSeconds = clock.Elapsed.TotalSeconds;
                    }
                    var alignedHs = (await _evaluator.HarmfulScoreAsync(model, tokenizer, prompts.Harmful, cancellationToken).ConfigureAwait(false)).Estimate;
                    using var alignedWeights = ParameterSnapshot.OfWeights(Weights(model));

                    foreach (string finetuningName in grid.Finetuning)
                    foreach (string scorerName in grid.Scorers)
                    foreach (double p in grid.HarmfulRatios)
                    {
                        // One attack per fine-tuning defense × scorer × p; every pruner starts from a copy of its adapter.
                        Restore(alignedWeights, model);
                        Report($"seed {seed}: {selectorName}/{defenseName}/{finetuningName}/{scorerName}, attack p = {p}");
                        var (finetuneSeconds, maskQuality) = await FinetuneAsync(grid, seed, p, finetuningName, scorerName, model, tokenizer, world, selected, cancellationToken).ConfigureAwait(false);
                        using var attacked = grid.Pruners.Count > 1 ? LoraAdapterState.Capture(model) : null;
                        for (int pruner = 0; pruner < grid.Pruners.Count; pruner++)
                        {
                            string prunerName = grid.Pruners[pruner];
                            if (pruner > 0)
                            {
                                Restore(alignedWeights, model);   // a dense-scope pruner may have changed the weights
                                attacked!.AttachTo(model);
                            }
                            double pruningSeconds = await PruneAsync(grid, seed, prunerName, model, tokenizer, world, selected, cancellationToken).ConfigureAwait(false);
                            var hs = (await _evaluator.HarmfulScoreAsync(model, tokenizer, prompts.Harmful, cancellationToken).ConfigureAwait(false)).Estimate;
                            var refusal = (await _evaluator.OverRefusalAsync(model, tokenizer, prompts.Benign, cancellationToken).ConfigureAwait(false)).Estimate;
                            var fa = (await _evaluator.AccuracyAsync(model, tokenizer, prompts.Task, cancellationToken).ConfigureAwait(false)).Estimate;
                            model.DetachLora();
                            var row = new ExperimentRow(seed, selectorName, defenseName, finetuningName, scorerName, prunerName, p, selected.Safety.Count,
                                alignedHs, hs, refusal, fa, selectionSeconds, alignmentSeconds, finetuneSeconds, pruningSeconds, peak) { Mask = maskQuality, DefectAuc = defectAuc };
                            rows.Add(row);
                            _logger.LogInformation("{Configuration} seed {Seed}: HS {HS}, over-refusal {Refusal}, FA {FA}", row.Configuration, seed, hs, refusal, fa);
                            Report($"seed {seed}: row done");
                        }
                    }
                }
            }
        }
        return rows;
    }

    private static bool Is(string name) => !string.Equals(name, ExperimentStages.None, StringComparison.OrdinalIgnoreCase);

    private async Task<(AlignmentData Data, double Seconds, double? DefectAuc)> SelectAsync(string selectorName, long seed, CausalLM model, HfTokenizer tokenizer,
        SafetyWorld world, AlignmentData data, Action<string> report, CancellationToken cancellationToken)
    {
        if (!Is(selectorName))
            return (data, 0, null);
        report($"seed {seed}: selecting with {selectorName}");
        var selection = await _stages.Selectors[selectorName](seed).SelectAsync(new SelectionRequest(model, tokenizer, data), cancellationToken: cancellationToken).ConfigureAwait(false);
        // data.Safety is world.Alignment in order, so the world's quality labels score the ranking.
        var qualities = world.Alignment.Select(a => a.Quality).ToList();
        double? auc = qualities.Distinct().Count() > 1 && qualities.Contains(AlignmentRowQuality.Clean) ? AlignmentDefectRanking.Auc(selection.Scores, qualities) : null;
        _logger.LogInformation("Seed {Seed}: {Selector} kept {Kept} of {Candidates} rows in {Seconds:F1} s, defect-ranking AUC {Auc}",
            seed, selectorName, selection.Indices.Count, data.Safety.Count, selection.Elapsed.TotalSeconds, auc);
        return (data.WithSafety(selection.Indices.Select(i => data.Safety[i]).ToList()), selection.Elapsed.TotalSeconds, auc);
    }

    private async Task<(double Seconds, TokenMaskQuality? Mask)> FinetuneAsync(ExperimentGrid grid, long seed, double p, string finetuningName, string scorerName,
        CausalLM model, HfTokenizer tokenizer, SafetyWorld world, AlignmentData reference, CancellationToken cancellationToken)
    {
        var options = grid.Attack;
        var attack = new HarmfulFinetuneAttack(new HarmfulFinetuneAttackOptions
        {
            Samples = options.Samples, HarmfulRatio = p, LoraRank = options.LoraRank, LoraAlpha = options.LoraAlpha, LearningRate = options.LearningRate,
            Epochs = options.Epochs, Schedule = options.Schedule, WarmupRatio = options.WarmupRatio, WeightDecay = options.WeightDecay,
            BatchSize = options.BatchSize, MaxLength = options.MaxLength, LossNormalization = options.LossNormalization,
            LengthSortedSplits = options.LengthSortedSplits, ShareCommonPrefix = options.ShareCommonPrefix, Seed = seed,
        }, _loggerFactory.CreateLogger<Trainer>());
        var clock = Stopwatch.StartNew();
        IReadOnlyList<TokenizedExample> examples = attack.BuildExamples(tokenizer, world.AttackPool, world.TaskTrain[grid.Task]);
        TokenMaskQuality? quality = null;
        if (Is(scorerName))
        {
            var scores = await _stages.Scorers[scorerName](seed).ScoreAsync(new TokenRiskRequest(model, tokenizer, examples, reference), cancellationToken: cancellationToken).ConfigureAwait(false);
            examples = scores.Masked;
            if (scores.Mask is not null)
                quality = TokenMaskQuality.Measure(scores.Mask, Enumerable.Range(0, examples.Count).Select(i => i < attack.HarmfulCount).ToList());
        }
        var finetuning = Is(finetuningName) ? _stages.Finetuning[finetuningName](seed, reference) : null;
        await ComputeThread.RunAsync(() => attack.Train(model, tokenizer, examples, finetuning, cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
        return (clock.Elapsed.TotalSeconds, quality);
    }

    private async Task<double> PruneAsync(ExperimentGrid grid, long seed, string prunerName, CausalLM model, HfTokenizer tokenizer, SafetyWorld world,
        AlignmentData reference, CancellationToken cancellationToken)
    {
        if (!Is(prunerName))
            return 0;
        var clock = Stopwatch.StartNew();
        // Benign calibration rows (for "wanda-benign") are the attack's benign pool: the user's task data, as the paper's ablation.
        var request = new PruningRequest(model, tokenizer, reference.Harmful) { Benign = world.TaskTrain[grid.Task] };
        using var result = await _stages.Pruners[prunerName](seed).PruneAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        return clock.Elapsed.TotalSeconds;
    }

    private sealed class Prompts(SafetyWorld world, ExperimentGrid grid)
    {
        public List<string> Harmful { get; } = world.HarmfulTest.Take(grid.EvaluationSize).Select(h => h.Prompt).ToList();

        public List<string> Benign { get; } = world.BenignTest.Take(grid.EvaluationSize).Select(b => b.Prompt).ToList();

        public List<Data.TaskExample> Task { get; } = world.TaskTest[grid.Task].Take(grid.EvaluationSize).ToList();
    }

    // Every weight of the model (no adapter attached), restored between cells instead of reloading the model.
    private static IReadOnlyList<TorchSharp.Modules.Parameter> Weights(CausalLM model) => model.parameters().ToList();

    private static void Restore(ParameterSnapshot snapshot, CausalLM model)
    {
        if (model.Lora is not null)
            model.DetachLora();
        snapshot.RestoreInto(Weights(model));
    }
}
