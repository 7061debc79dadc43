using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SafeAlign.Data;
using SafeAlign.Defenses;
using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Native;
using SafeAlign.Pruning;
using SafeAlign.Scoring;
using SafeAlign.Selection;
using SafeAlign.Tokenization;
using SafeAlign.Training;

namespace SafeAlign.Pipeline;

/// <summary>
/// The fine-tuning-as-a-service flow as one run: select alignment data → align the base model with a defense → score
/// and mask the user's data → fine-tune the user's LoRA (optionally under a fine-tuning-stage defense) → prune it →
/// evaluate. Each stage is optional (<see cref="SafetyPipelineStages"/>). Every artefact (selected indices, adapters in
/// PEFT format, the token mask, the pruning mask, evaluation JSONL, <c>summary.json</c>) goes to the run folder, written
/// atomically; a run in a folder that already holds one resumes after the last stage whose inputs are unchanged.
/// </summary>
public sealed class SafetyPipeline
{
    private readonly SafetyPipelineStages _stages;
    private readonly SafetyPipelineOptions _options;
    private readonly SafetyEvaluator _evaluator;
    private readonly DeviceOptions _device;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;

    /// <summary>Creates a pipeline.</summary>
    /// <param name="stages">The stage implementations; a null stage is skipped.</param>
    /// <param name="options">Fine-tuning recipe and run settings (the stage names in it are not used here; see <c>AddSafeAlign</c>).</param>
    /// <param name="evaluator">Measures HS, over-refusal and accuracy; the refusal-pattern judge when null.</param>
    /// <param name="device">Where the model runs (default: CUDA when present, else CPU).</param>
    /// <param name="loggerFactory">Creates loggers; none by default.</param>
    public SafetyPipeline(SafetyPipelineStages stages, SafetyPipelineOptions? options = null, SafetyEvaluator? evaluator = null,
        DeviceOptions? device = null, ILoggerFactory? loggerFactory = null)
    {
        _stages = stages ?? throw new ArgumentNullException(nameof(stages));
        _options = (options ?? new SafetyPipelineOptions()).Validate();
        _evaluator = evaluator ?? new SafetyEvaluator();
        _device = device ?? new DeviceOptions();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<SafetyPipeline>();
    }

    /// <summary>Runs (or resumes) the pipeline on <paramref name="request"/>.</summary>
    /// <param name="request">The base model, the data and the run folder.</param>
    /// <param name="progress">Receives a report per stage and per training step report.</param>
    /// <param name="cancellationToken">Stops the run between (and inside) stages; finished stages stay in the folder.</param>
    /// <returns>Every stage's record and the measurements, as written to <c>summary.json</c>.</returns>
    /// <exception cref="PipelineRunException">The folder holds a summary or artefact that cannot be read.</exception>
    public async Task<SafetyPipelineResult> RunAsync(SafetyPipelineRequest request, IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var folder = new PipelineRunFolder(request.RunFolder);
        var previous = _options.Resume ? folder.ReadSummary() : ([], null, null);
        var run = new Run(this, folder, previous.Stages, progress);
        PipelineEvaluation? aligned = null, final = null;

        using var model = CausalLM.FromPretrained(request.BaseModel, new ModelOptions { Device = _device });
        var tokenizer = HfTokenizer.FromFolder(request.BaseModel);
        var data = request.Alignment;
        string key = Hash("base", Path.GetFullPath(request.BaseModel), FileStamp(request.BaseModel), Hash(data));

        // Select: keep a subset of the alignment rows.
        var selector = _stages.Selector;
        key = Hash(key, "select", selector?.Name);
        IReadOnlyList<int>? selected = null;
        await run.StageAsync(PipelineStage.Select, selector?.Name, key, File.Exists(folder.Selection),
            reuse: () => selected = folder.ReadSelection(data.Safety.Count),
            execute: async () =>
            {
                var selection = await selector!.SelectAsync(new SelectionRequest(model, tokenizer, data), run.Messages(PipelineStage.Select), cancellationToken).ConfigureAwait(false);
                folder.WriteSelection(selector.Name, selection.Indices, selection.Scores);
                selected = selection.Indices;
                return new() { ["candidates"] = data.Safety.Count, ["kept"] = selection.Indices.Count };
            }).ConfigureAwait(false);
        if (selected is not null)
            data = data.WithSafety(selected.Select(i => data.Safety[i]).ToList());

        // Align: train the defense's adapter, save it, merge it.
        var defense = _stages.Defense;
        key = Hash(key, "align", defense?.Name);
        bool evaluateAligned = _options.EvaluateAligned && request.Evaluation is not null;
        await run.StageAsync(PipelineStage.Align, defense?.Name, key, PipelineRunFolder.AdapterExists(folder.AlignmentAdapter) && (!evaluateAligned || previous.Aligned is not null),
            reuse: () =>
            {
                PeftAdapter.Load(model, folder.AlignmentAdapter);
                model.MergeAndDetachLora();
                run.Aligned = aligned = evaluateAligned ? previous.Aligned : null;
            },
            execute: async () =>
            {
                var result = await defense!.AlignAsync(new AlignmentRequest(model, tokenizer, data), run.Training(PipelineStage.Align), cancellationToken).ConfigureAwait(false);
                PipelineRunFolder.SaveAdapter(model, folder.AlignmentAdapter, request.BaseModel);
                model.MergeAndDetachLora();
                if (evaluateAligned)
                    run.Aligned = aligned = await EvaluateAsync(model, tokenizer, request.Evaluation!, folder, "aligned", cancellationToken).ConfigureAwait(false);
                return new() { ["examples"] = result.Examples, ["steps"] = result.Training.Steps, ["final_loss"] = result.Training.Losses.Count > 0 ? result.Training.Losses[^1] : double.NaN };
            },
            skipped: async () =>
            {
                if (evaluateAligned)
                    run.Aligned = aligned = await EvaluateAsync(model, tokenizer, request.Evaluation!, folder, "aligned", cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);

        // Score tokens: mask the riskiest tokens of the user's data.
        var finetuning = _options.Finetuning;
        IReadOnlyList<TokenizedExample> examples = InstructionExamples.Build(tokenizer, finetuning.MaxLength,
            request.UserData.Select(u => (u.Instruction, string.IsNullOrEmpty(u.Input) ? null : (string?)u.Input, u.Answer)));
        var scorer = _stages.Scorer;
        key = Hash(key, "score", scorer?.Name, Hash(request.UserData), finetuning.MaxLength.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await run.StageAsync(PipelineStage.ScoreTokens, scorer?.Name, key, File.Exists(folder.TokenMask),
            reuse: () => examples = TokenMask.Load(folder.TokenMask).Apply(examples),
            execute: async () =>
            {
                var scores = await scorer!.ScoreAsync(new TokenRiskRequest(model, tokenizer, examples, data), run.Messages(PipelineStage.ScoreTokens), cancellationToken).ConfigureAwait(false);
                examples = scores.Masked;
                var details = new Dictionary<string, double> { ["masked_tokens"] = scores.MaskedTokens, ["response_tokens"] = scores.ResponseTokens };
                if (scores.Mask is not null)
                {
                    scores.Mask.Save(folder.TokenMask);
                    if (request.HarmfulUserRows is not null)
                    {
                        var quality = TokenMaskQuality.Measure(scores.Mask, request.HarmfulUserRows);
                        details["mask_precision"] = quality.Precision;
                        details["mask_recall"] = quality.Recall;
                    }
                }
                return details;
            }).ConfigureAwait(false);

        // Fine-tune: the user's job, a fresh LoRA on the aligned weights.
        var guard = _stages.Finetuning;
        key = Hash(key, "finetune", guard?.Name, Hash(finetuning));
        await run.StageAsync(PipelineStage.Finetune, "lora" + (guard is null ? "" : "+" + guard.Name), key, PipelineRunFolder.AdapterExists(folder.FinetuneAdapter),
            reuse: () => PeftAdapter.Load(model, folder.FinetuneAdapter),
            execute: async () =>
            {
                var finetuner = new Finetuner(finetuning, _loggerFactory.CreateLogger<Trainer>());
                var report = await ComputeThread.RunAsync(() => finetuner.Train(model, tokenizer, examples, guard?.Create(data), run.Training(PipelineStage.Finetune), cancellationToken), cancellationToken).ConfigureAwait(false);
                PipelineRunFolder.SaveAdapter(model, folder.FinetuneAdapter, request.BaseModel);
                return new() { ["examples"] = examples.Count, ["steps"] = report.Steps, ["final_loss"] = report.Losses.Count > 0 ? report.Losses[^1] : double.NaN };
            }).ConfigureAwait(false);

        // Prune: repair the user's adapter.
        var pruner = _stages.Pruner;
        key = Hash(key, "prune", pruner?.Name);
        await run.StageAsync(PipelineStage.Prune, pruner?.Name, key, PipelineRunFolder.AdapterExists(folder.PrunedAdapter),
            reuse: () =>
            {
                model.DetachLora();
                PeftAdapter.Load(model, folder.PrunedAdapter);
            },
            execute: async () =>
            {
                var benign = request.HarmfulUserRows is null ? request.UserData : request.UserData.Where((_, i) => !request.HarmfulUserRows[i]).ToList();
                using var result = await pruner!.PruneAsync(new PruningRequest(model, tokenizer, data.Harmful) { Benign = benign }, cancellationToken: cancellationToken).ConfigureAwait(false);
                PipelineRunFolder.SaveAdapter(model, folder.PrunedAdapter, request.BaseModel);
                result.Masks?.Save(folder.PruningMask);
                return new()
                {
                    ["pruned_weights"] = result.PrunedWeights, ["considered_weights"] = result.ConsideredWeights, ["matrices"] = result.Matrices.Count,
                    ["calibration_samples"] = result.CalibrationSamples, ["calibration_seconds"] = result.CalibrationTime.TotalSeconds, ["scoring_seconds"] = result.ScoringTime.TotalSeconds,
                };
            }).ConfigureAwait(false);

        // Evaluate the final model.
        if (request.Evaluation is not null)
        {
            key = Hash(key, "evaluate", Hash(request.Evaluation));
            await run.StageAsync(PipelineStage.Evaluate, "evaluator", key, previous.Final is not null,
                reuse: () => run.Final = final = previous.Final,
                execute: async () =>
                {
                    final = await EvaluateAsync(model, tokenizer, request.Evaluation, folder, "final", cancellationToken).ConfigureAwait(false);
                    run.Final = final;
                    return Details(final);
                }).ConfigureAwait(false);
        }
        return new SafetyPipelineResult(folder.Path, run.Records, aligned, final);
    }

    private async Task<PipelineEvaluation> EvaluateAsync(CausalLM model, HfTokenizer tokenizer, PipelineEvaluationSet set, PipelineRunFolder folder, string label, CancellationToken cancellationToken)
    {
        async Task<RateEstimate?> Measure(string metric, int count, Func<Task<EvaluationResult>> evaluate)
        {
            if (count == 0)
                return null;
            var result = await evaluate().ConfigureAwait(false);
            Directory.CreateDirectory(Path.GetDirectoryName(folder.Evaluation(label, metric))!);
            EvaluationDump.WriteJsonl(folder.Evaluation(label, metric), result.Items);
            return result.Estimate;
        }
        var harmful = await Measure("harmful", set.HarmfulPrompts.Count, () => _evaluator.HarmfulScoreAsync(model, tokenizer, set.HarmfulPrompts, cancellationToken)).ConfigureAwait(false);
        var refusal = await Measure("benign", set.BenignPrompts.Count, () => _evaluator.OverRefusalAsync(model, tokenizer, set.BenignPrompts, cancellationToken)).ConfigureAwait(false);
        var accuracy = await Measure("task", set.TaskTest.Count, () => _evaluator.AccuracyAsync(model, tokenizer, set.TaskTest, cancellationToken)).ConfigureAwait(false);
        Log.Measured(_logger, label, harmful?.ToString() ?? "-", refusal?.ToString() ?? "-", accuracy?.ToString() ?? "-");
        return new PipelineEvaluation(harmful, refusal, accuracy);
    }

    private static Dictionary<string, double> Details(PipelineEvaluation evaluation)
    {
        var details = new Dictionary<string, double>();
        if (evaluation.HarmfulScore is { } hs)
            details["harmful_score"] = hs.Percent;
        if (evaluation.OverRefusal is { } refusal)
            details["over_refusal"] = refusal.Percent;
        if (evaluation.FinetuneAccuracy is { } fa)
            details["finetune_accuracy"] = fa.Percent;
        return details;
    }

    // Stage keys: a hash of what a stage's output depends on, chained from the previous stage's key.
    private static string Hash(params string?[] parts)
    {
        var text = new StringBuilder();
        foreach (string? part in parts)
            text.Append(part ?? "\0none").Append('\u001f');
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 0, 12).ToLowerInvariant();
    }

    private static string Hash(AlignmentData data) => Hash(
        Hash([.. data.Safety.Select(s => s.Prompt + "\u001e" + s.Response)]),
        Hash([.. data.Benign.Select(s => s.Prompt + "\u001e" + s.Response)]),
        Hash([.. data.Utility.Select(t => t.Instruction + "\u001e" + t.Input + "\u001e" + t.Answer)]),
        Hash([.. data.Harmful.Select(s => s.Prompt + "\u001e" + s.Response)]),
        Hash([.. data.Validation.Select(s => s.Prompt + "\u001e" + s.Response)]));

    private static string Hash(IReadOnlyList<TaskExample> rows) => Hash([.. rows.Select(t => t.Instruction + "\u001e" + t.Input + "\u001e" + t.Answer)]);

    private static string Hash(PipelineEvaluationSet set) => Hash(Hash([.. set.HarmfulPrompts]), Hash([.. set.BenignPrompts]), Hash(set.TaskTest));

    private static string Hash(FinetuneOptions o) => Hash(FormattableString.Invariant(
        $"{o.LoraRank}|{o.LoraAlpha}|{o.LearningRate}|{o.Epochs}|{o.Schedule}|{o.WarmupRatio}|{o.WeightDecay}|{o.BatchSize}|{o.MaxLength}|{o.LossNormalization}|{o.Seed}"));

    // The base model's identity beyond its path: its weight files' sizes and times, so a retrained folder is not resumed.
    private static string FileStamp(string folder) => string.Join(";", Directory.EnumerateFiles(folder, "*.safetensors").Order(StringComparer.Ordinal)
        .Select(f => FormattableString.Invariant($"{Path.GetFileName(f)}:{new FileInfo(f).Length}:{File.GetLastWriteTimeUtc(f).Ticks}")));

    /// <summary>One run's bookkeeping: which stages ran or were reused, and the summary written after each.</summary>
    private sealed class Run(SafetyPipeline pipeline, PipelineRunFolder folder, IReadOnlyList<PipelineStageRecord> previous, IProgress<PipelineProgress>? progress)
    {
        private bool _reusing = true;

        public List<PipelineStageRecord> Records { get; } = [];

        public PipelineEvaluation? Aligned { get; set; }

        public PipelineEvaluation? Final { get; set; }

        public IProgress<string> Messages(PipelineStage stage) => new SynchronousProgress<string>(m => progress?.Report(new PipelineProgress(stage, m)));

        public IProgress<TrainingProgress> Training(PipelineStage stage) =>
            new SynchronousProgress<TrainingProgress>(t => progress?.Report(new PipelineProgress(stage, FormattableString.Invariant($"step {t.Step}/{t.TotalSteps}, loss {t.Loss:F4}"), t.Step, t.TotalSteps)));

        /// <summary>
        /// Runs a stage, reuses it from the folder (same key, artefacts present, every earlier stage reused), or records it
        /// as skipped when no implementation is configured.
        /// </summary>
        public async Task StageAsync(PipelineStage stage, string? implementation, string key, bool artefactsPresent, Action reuse,
            Func<Task<Dictionary<string, double>>> execute, Func<Task>? skipped = null)
        {
            var clock = Stopwatch.StartNew();
            if (implementation is null)
            {
                _reusing = false;   // cheap to redo, and later stages must not trust artefacts of a run that had this stage
                if (skipped is not null)
                    await skipped().ConfigureAwait(false);
                Add(new PipelineStageRecord(stage, SafetyPipelineOptions.None, key, clock.Elapsed.TotalSeconds, false, new Dictionary<string, double>()));
                return;
            }
            var earlier = previous.FirstOrDefault(r => r.Stage == stage);
            if (_reusing && artefactsPresent && earlier is not null && earlier.Key == key && earlier.Implementation == implementation)
            {
                progress?.Report(new PipelineProgress(stage, $"{implementation}: reused from the run folder"));
                reuse();
                Log.StageReused(pipeline._logger, stage, implementation, folder.Path);
                Add(earlier with { Reused = true });
                return;
            }
            _reusing = false;
            progress?.Report(new PipelineProgress(stage, $"{implementation}: running"));
            var details = await execute().ConfigureAwait(false);
            Log.StageDone(pipeline._logger, stage, implementation, clock.Elapsed.TotalSeconds);
            Add(new PipelineStageRecord(stage, implementation, key, clock.Elapsed.TotalSeconds, false, details));
        }

        private void Add(PipelineStageRecord record)
        {
            Records.Add(record);
            folder.WriteSummary(Records, Aligned, Final);
        }
    }
}
