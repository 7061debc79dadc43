using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Models.Taps;
using SafeAlign.Native;
using SafeAlign.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SafeAlign.Pruning.Antidote;

/// <summary>
/// Antidote (Huang et al., "Antidote: Post-fine-tuning safety alignment for large language models against harmful
/// fine-tuning", arXiv 2408.09600, ICML 2025): after the user's fine-tuning, zero the weights that matter most for
/// harmful answers. One forward pass per calibration sample (harmful prompt + harmful answer + EOS, no gradient) gives,
/// per pruned linear and input feature j, <c>S_j</c> = mean over samples of Σ_t x_{t,j}²; each weight scores
/// <c>|W_ij|·sqrt(S_j)</c> (Wanda) and the top <c>c − ⌊c·(1 − α)⌋</c> scores of every row are set to zero, once.
/// As the reference code, only the user adapter's <c>lora_A</c> (input: the hidden state) and <c>lora_B</c> (input:
/// lora_A's r-dim output) of q/k/v are pruned; base weights and the merged alignment stay bit-identical.
/// With other options it is the paper's baselines: magnitude, random, and Wanda calibrated on benign data, and with
/// <see cref="PruningScope.Dense"/> the full-fine-tuning variant. Choices where the paper is vague: docs/pruning.md.
/// </summary>
public sealed class AntidotePruner : IPostFinetunePruner
{
    /// <summary>Name of Antidote proper (harmful-calibrated Wanda).</summary>
    public const string PrunerName = "antidote";

    /// <summary>Name of the magnitude baseline.</summary>
    public const string MagnitudeName = "magnitude";

    /// <summary>Name of the random baseline.</summary>
    public const string RandomName = "random-prune";

    /// <summary>Name of the benign-calibrated Wanda ablation.</summary>
    public const string BenignWandaName = "wanda-benign";

    private const int ProgressBatches = 25;

    private readonly ILogger _logger;

    /// <summary>Creates the pruner.</summary>
    /// <param name="options">Settings; Antidote's defaults when null. Validated here.</param>
    /// <param name="loggerFactory">Creates the logger; none by default.</param>
    public AntidotePruner(AntidoteOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        Options = (options ?? new AntidoteOptions()).Validate();
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<AntidotePruner>();
    }

    /// <summary>The settings.</summary>
    public AntidoteOptions Options { get; }

    /// <summary>"antidote", "wanda-benign", "magnitude" or "random-prune", after the criterion and calibration source.</summary>
    public string Name => Options.Criterion switch
    {
        PruningCriterion.Magnitude => MagnitudeName,
        PruningCriterion.Random => RandomName,
        _ => Options.Calibration == CalibrationSource.Benign ? BenignWandaName : PrunerName,
    };

    /// <summary>The magnitude baseline (|W|, no data) with <paramref name="options"/>' other settings.</summary>
    public static AntidotePruner Magnitude(AntidoteOptions? options = null, ILoggerFactory? loggerFactory = null) =>
        new((options ?? new AntidoteOptions()).With(PruningCriterion.Magnitude), loggerFactory);

    /// <summary>The random baseline (seeded, same count per row) with <paramref name="options"/>' other settings.</summary>
    public static AntidotePruner Random(AntidoteOptions? options = null, ILoggerFactory? loggerFactory = null) =>
        new((options ?? new AntidoteOptions()).With(PruningCriterion.Random), loggerFactory);

    /// <summary>Wanda calibrated on <see cref="PruningRequest.Benign"/> instead of harmful data, with <paramref name="options"/>' other settings.</summary>
    public static AntidotePruner BenignWanda(AntidoteOptions? options = null, ILoggerFactory? loggerFactory = null) =>
        new((options ?? new AntidoteOptions()).With(PruningCriterion.Wanda, CalibrationSource.Benign), loggerFactory);

    /// <inheritdoc />
    public Task<PruningResult> PruneAsync(PruningRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default) =>
        ComputeThread.RunAsync(() => Prune(request, progress, cancellationToken), cancellationToken);

    /// <summary>Prunes in place on the calling thread (see <see cref="PruneAsync"/>).</summary>
    /// <exception cref="ArgumentException">The request is incomplete or its calibration rows are empty.</exception>
    /// <exception cref="InvalidOperationException">The model does not fit the scope (no adapter, merged or disabled adapter; an adapter in dense scope).</exception>
    /// <exception cref="OperationCanceledException">Cancelled; no weight has changed.</exception>
    public PruningResult Prune(PruningRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var clock = Stopwatch.StartNew();
        var model = request.Model;
        var targets = Targets(model);
        var rows = Options.Criterion == PruningCriterion.Wanda ? CalibrationRows(request) : null;
        cancellationToken.ThrowIfCancellationRequested();

        using var statistics = rows is null ? null : new ActivationStatistics(model.Taps, targets.Select(t => t.Site));
        long tokens = 0;
        if (statistics is not null)
            tokens = Calibrate(request, rows!, statistics, progress, cancellationToken);
        var calibrationTime = clock.Elapsed;
        if (statistics is not null)
            Log.Calibrated(_logger, Name, statistics.Samples, tokens, calibrationTime.TotalSeconds);

        var scoring = Stopwatch.StartNew();
        var masks = new PruningMasks();
        var matrices = new List<PrunedMatrix>(targets.Count);
        try
        {
            using var generator = Options.Criterion == PruningCriterion.Random ? new Generator((ulong)Options.Seed, model.Device) : null;
            foreach (var target in targets)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var weight = target.Weight;
                long perRow = RowPruning.PrunedPerRow(weight.shape[1], Options.Ratio);
                var scores = Options.Criterion switch                                              // (R, C) fp32
                {
                    PruningCriterion.Wanda => RowPruning.WandaScore(weight, statistics![target.Site]),
                    PruningCriterion.Magnitude => RowPruning.MagnitudeScore(weight),
                    _ => rand(weight.shape, dtype: float32, device: weight.device, generator: generator),
                };
                var selection = RowPruning.TopPerRow(scores, perRow);                             // (R, k) column indices
                var matrix = Describe(target, scores, selection);
                matrices.Add(matrix);
                Log.MatrixPruned(_logger, matrix.Parameter, perRow, matrix.Columns, matrix.ScoreMean, matrix.PrunedScoreMean);
                masks.Add(target.Parameter, selection, weight.shape[1]);
            }
            // Every mask is known: from here on nothing is cancelled, so a cancellation never leaves a half-pruned model.
            RowPruning.Apply(targets.Select(t => (t.Weight, masks.Indices(t.Parameter))).ToList());
        }
        catch
        {
            masks.Dispose();
            throw;
        }
        if (!Options.RecordMasks)
        {
            masks.Dispose();
            masks = null;
        }
        // Read the scoring clock before the total one, so that Elapsed ≥ CalibrationTime + ScoringTime always holds.
        var scoringTime = scoring.Elapsed;
        long pruned = matrices.Sum(m => m.Pruned), considered = matrices.Sum(m => m.Rows * m.Columns);
        Log.Pruned(_logger, Name, pruned, considered, matrices.Count, scoringTime.TotalSeconds);
        progress?.Report($"{Name}: zeroed {pruned} of {considered} weights in {matrices.Count} matrices");
        return new PruningResult(Name, pruned, considered, clock.Elapsed)
        {
            Matrices = matrices,
            CalibrationSamples = statistics?.Samples ?? 0,
            CalibrationTokens = tokens,
            CalibrationTime = statistics is null ? TimeSpan.Zero : calibrationTime,
            ScoringTime = scoringTime,
            Masks = masks,
        };
    }

    /// <summary>One weight matrix to prune: its parameter name, place, the tensor and the tap site its input is seen at.</summary>
    private sealed record Target(string Parameter, int Layer, string Module, Tensor Weight, TapSite Site);

    private List<Target> Targets(CausalLM model)
    {
        var chosen = model.Projections().Where(p => Options.Targets.Contains(p.Path[(p.Path.LastIndexOf('.') + 1)..])).ToList();
        var targets = new List<Target>();
        if (Options.Scope == PruningScope.Dense)
        {
            if (model.Lora is not null)
                throw new InvalidOperationException($"{Name}: Scope is Dense (the full-fine-tuning variant) but a LoRA adapter is attached; prune its factors with Scope = Adapter, or merge it first.");
            foreach (var (path, linear) in chosen)
                targets.Add(new Target(path + ".weight", linear.Site.Layer, linear.Site.Module, linear.Weight, linear.Site));
        }
        else
        {
            if (model.Lora is null)
                throw new InvalidOperationException($"{Name}: Scope is Adapter but the model has no LoRA adapter attached; attach the user's adapter (PeftAdapter.Load), or use Scope = Dense for a fully fine-tuned model.");
            var unadapted = new List<string>();
            foreach (var (path, linear) in chosen)
            {
                if (linear.LoraA is null || linear.LoraB is null)
                {
                    unadapted.Add(path);
                    continue;
                }
                if (linear.Merged || !linear.AdapterEnabled)
                    throw new InvalidOperationException($"{Name}: the adapter of {path} is {(linear.Merged ? "merged into the base weight" : "disabled")}; pruning its factors would not act on the model's outputs.");
                var hidden = linear.Site with { Point = TapPoint.LoraHidden };
                targets.Add(new Target(path + ".lora_A.weight", linear.Site.Layer, linear.Site.Module, linear.LoraA.Weight, linear.Site));
                targets.Add(new Target(path + ".lora_B.weight", linear.Site.Layer, linear.Site.Module, linear.LoraB.Weight, hidden));
            }
            if (unadapted.Count > 0)
                Log.TargetsWithoutAdapter(_logger, Name, string.Join(", ", unadapted));
        }
        if (targets.Count == 0)
            throw new InvalidOperationException($"{Name}: nothing to prune; AntidoteOptions.Targets ({string.Join(", ", Options.Targets)}) matches no projection{(Options.Scope == PruningScope.Adapter ? $" with an adapter (the adapter targets {string.Join(", ", model.Lora!.TargetModules)})" : "")}.");
        return targets;
    }

    private IReadOnlyList<(string Instruction, string? Input, string Response)> CalibrationRows(PruningRequest request)
    {
        int take = Options.MaxCalibrationSamples;
        if (Options.Calibration == CalibrationSource.Benign)
        {
            if (request.Benign.Count == 0)
                throw new ArgumentException($"{Name} calibrates on benign rows but PruningRequest.Benign is empty.", nameof(request));
            return request.Benign.Take(take).Select(b => (b.Instruction, string.IsNullOrEmpty(b.Input) ? null : (string?)b.Input, b.Answer)).ToList();
        }
        if (request.Harmful.Count == 0)
            throw new ArgumentException($"{Name} calibrates on harmful prompt → harmful answer rows but PruningRequest.Harmful is empty.", nameof(request));
        return request.Harmful.Take(take).Select(h => (h.Prompt, (string?)null, h.Response)).ToList();
    }

    // One no-grad forward pass per batch of calibration sequences (Alpaca prompt + answer + EOS, right-padded), with the
    // statistics' taps folding each target's input in. Returns the real tokens seen.
    private long Calibrate(PruningRequest request, IReadOnlyList<(string Instruction, string? Input, string Response)> rows,
        ActivationStatistics statistics, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var model = request.Model;
        bool wasTraining = model.training;
        model.eval();
        long tokens = 0;
        int batches = 0;
        try
        {
            using var noGrad = no_grad();
            foreach (var chunk in rows.Chunk(Options.BatchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var examples = InstructionExamples.Build(request.Tokenizer, Options.MaxLength, chunk);
                var batch = TrainingBatch.Collate(examples, request.Tokenizer.PadId ?? 0, model.Device, Options.MaxLength);
                statistics.BeginBatch(batch.AttentionMask);
                model.HiddenStates(batch.InputIds, batch.AttentionMask);
                statistics.EndBatch();
                tokens += batch.Tokens;
                if (++batches % ProgressBatches == 0)
                    progress?.Report($"{Name}: calibrated {statistics.Samples} of {rows.Count} samples");
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return tokens;
    }

    // Counts and score statistics of one matrix, read from the device once.
    private static PrunedMatrix Describe(Target target, Tensor scores, Tensor pruned)
    {
        long rows = scores.shape[0], columns = scores.shape[1], perRow = pruned.shape[1];
        using var scope = NewDisposeScope();
        var selected = scores.gather(1, pruned);                                                   // (R, k)
        var none = tensor(double.NaN, float64);
        var summary = stack([
            scores.min().to(float64), scores.to(float64).mean(), scores.max().to(float64),
            perRow == 0 ? none : selected.to(float64).mean(), perRow == 0 ? none : selected.amin([1]).to(float64).mean()]).cpu();
        var v = summary.data<double>().ToArray();
        return new PrunedMatrix(target.Parameter, target.Layer, target.Module, rows, columns, perRow, rows * perRow, v[0], v[1], v[2], v[3], v[4]);
    }
}
