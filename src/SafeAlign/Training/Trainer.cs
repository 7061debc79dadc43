using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SafeAlign.Models;
using SafeAlign.Native;
using SafeAlign.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafeAlign.Training;

/// <summary>
/// The one training loop: seeded shuffling, micro-batches with gradient accumulation, AdamW with warm-up and
/// a constant/cosine/linear schedule (HF's <c>get_*_schedule_with_warmup</c> semantics), global-norm clipping,
/// progress, logging, cancellation, and atomic checkpoints that resume to the same loss curve. What happens
/// inside a micro-batch is an <see cref="ITrainingStep"/>, so defenses change the step, never the loop.
/// Trains the model's trainable parameters: the LoRA adapter when one is attached, else every weight.
/// </summary>
public sealed class Trainer
{
    private readonly TrainerOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a trainer.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public Trainer(TrainerOptions options, ILogger<Trainer>? logger = null)
    {
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The options this trainer runs with.</summary>
    public TrainerOptions Options => _options;

    /// <summary>Trains on a compute thread of its own (tensor dispose scopes and OpenMP teams are per thread); see <see cref="Run"/>.</summary>
    public Task<TrainingReport> RunAsync(CausalLM model, IReadOnlyList<TokenizedExample> data, ITrainingStep? step = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ComputeThread.RunAsync(() => Run(model, data, step, progress, cancellationToken), cancellationToken);

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="data"/> with <paramref name="step"/> (default: <see cref="SupervisedStep"/>),
    /// on a compute thread of its own that ends with the run, so no OpenMP worker team outlives it on the caller's thread
    /// (inline when the caller is already one of SafeAlign's compute threads).
    /// </summary>
    /// <exception cref="ArgumentException">The data is empty, or the model has no trainable parameter.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the model keeps the updates made so far.</exception>
    public TrainingReport Run(CausalLM model, IReadOnlyList<TokenizedExample> data, ITrainingStep? step = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0)
            throw new ArgumentException("The training data is empty.", nameof(data));
        return ComputeThread.Run(() => RunHere(model, data, step, progress, cancellationToken));
    }

    private TrainingReport RunHere(CausalLM model, IReadOnlyList<TokenizedExample> data, ITrainingStep? step,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        step ??= SupervisedStep.Instance;
        var parameters = model.TrainableParameters().Select(p => p.Parameter).ToList();
        if (parameters.Count == 0)
            throw new ArgumentException("The model has no trainable parameter (all are frozen).", nameof(model));
        var o = _options;
        // Only a separable step may see a micro-batch as several passes or with its shared prefix computed once.
        int splits = step.Separable ? o.LengthSortedSplits : 1;
        bool sharePrefix = step.Separable && o.ShareCommonPrefix;

        int batchesPerEpoch = (data.Count + o.BatchSize - 1) / o.BatchSize;
        int totalSteps = TotalSteps(data.Count);
        int warmup = (int)Math.Ceiling(o.WarmupRatio * totalSteps);

        using var optimizer = optim.AdamW(parameters, o.LearningRate, o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay);
        var position = new TrainingCheckpoint.State(0, 0, 0, o.Seed, []);
        if (o.ResumeFrom is not null)
            position = TrainingCheckpoint.Load(o.ResumeFrom, model, optimizer);
        else
            torch.manual_seed(o.Seed);
        Log.Started(_logger, data.Count, totalSteps, parameters.Sum(p => p.numel()), position.Step);

        model.train();
        var losses = new List<double>(position.Losses);
        IReadOnlyList<int[]>? epochBatches = null;
        int epochOfBatches = -1;
        var pending = new List<Tensor>();
        int completed = position.Step, epoch = position.Epoch, batch = position.BatchInEpoch;
        long tokens = 0, tokensSinceReport = 0;
        var clock = Stopwatch.StartNew();
        var sinceReport = Stopwatch.StartNew();
        double lr = 0;
        try
        {
            while (completed < totalSteps)
            {
                if (epochBatches is null || epochOfBatches != epoch)
                    (epochBatches, epochOfBatches) = (EpochBatches(data.Count, epoch), epoch);
                int window = Math.Min(o.GradientAccumulationSteps, batchesPerEpoch - batch);
                using (var stepScope = NewDisposeScope())
                {
                    Tensor? windowLoss = null;
                    for (int micro = 0; micro < window; micro++, batch++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var examples = epochBatches[batch].Select(i => data[i]).ToList();
                        foreach (var (part, weight) in Splits(examples, splits, sharePrefix))
                        {
                            var collated = TrainingBatch.Collate(part, o.PadTokenId, model.Device, o.MaxLength, sharePrefix);
                            var loss = step.Step(model, collated, new StepContext(completed, micro, weight / window) { Normalization = o.LossNormalization });
                            windowLoss = windowLoss is null ? loss.detach() * weight : windowLoss + loss.detach() * weight;
                            tokens += collated.Tokens;
                            tokensSinceReport += collated.Tokens;
                        }
                    }
                    lr = o.LearningRate * Multiplier(completed, totalSteps, warmup);
                    foreach (var group in optimizer.ParamGroups)
                        group.LearningRate = lr;
                    foreach (var frozen in step.FrozenParameters())
                        frozen.grad = null; // zero_grad leaves zeros, which AdamW would still decay and move by momentum
                    if (o.MaxGradNorm > 0)
                        nn.utils.clip_grad_norm_(parameters, o.MaxGradNorm);
                    optimizer.step();
                    optimizer.zero_grad();
                    pending.Add((windowLoss! / window).DetachFromDisposeScope());
                }
                completed++;
                if (batch >= batchesPerEpoch)
                    (epoch, batch) = (epoch + 1, 0);

                if (completed % o.LogEvery == 0 || completed == totalSteps)
                {
                    double mean = Flush(pending, losses);
                    var report = new TrainingProgress(completed, totalSteps, epoch, mean, lr, tokensSinceReport / Math.Max(sinceReport.Elapsed.TotalSeconds, 1e-9));
                    Log.Progress(_logger, report.Step, report.TotalSteps, report.Loss, report.LearningRate, report.TokensPerSecond);
                    progress?.Report(report);
                    tokensSinceReport = 0;
                    sinceReport.Restart();
                }
                bool periodic = o.CheckpointEvery > 0 && completed % o.CheckpointEvery == 0;
                if (o.CheckpointDirectory is not null && (periodic || completed == totalSteps))
                {
                    Flush(pending, losses);
                    TrainingCheckpoint.Save(o.CheckpointDirectory, model, optimizer, new TrainingCheckpoint.State(completed, epoch, batch, o.Seed, losses));
                    Log.CheckpointSaved(_logger, completed, o.CheckpointDirectory);
                }
            }
            Flush(pending, losses);
        }
        finally
        {
            foreach (var t in pending)
                t.Dispose();
            model.eval();
        }
        var result = new TrainingReport(completed, losses, clock.Elapsed, tokens, PeakMemory.PeakBytes());
        Log.Finished(_logger, result.Steps, result.Elapsed.TotalSeconds, result.TokensPerSecond);
        return result;
    }

    /// <summary>
    /// Optimizer steps a run over <paramref name="examples"/> examples takes: <see cref="TrainerOptions.MaxSteps"/> when set,
    /// else epochs × ⌈⌈examples / batch⌉ / accumulation⌉ (steps that depend on the run's length, e.g. Lisa's, read it here).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than one example.</exception>
    public int TotalSteps(int examples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(examples, 1);
        var o = _options;
        int batchesPerEpoch = (examples + o.BatchSize - 1) / o.BatchSize;
        int stepsPerEpoch = (batchesPerEpoch + o.GradientAccumulationSteps - 1) / o.GradientAccumulationSteps;
        return o.MaxSteps ?? o.Epochs * stepsPerEpoch;
    }

    /// <summary>HF's LR multiplier at optimizer step <paramref name="step"/> (0-based): linear warm-up, then the schedule.</summary>
    internal double Multiplier(int step, int totalSteps, int warmup)
    {
        if (step < warmup)
            return (double)step / Math.Max(1, warmup);
        double progress = (double)(step - warmup) / Math.Max(1, totalSteps - warmup);
        return _options.Schedule switch
        {
            LrSchedule.Cosine => Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * progress))),
            LrSchedule.Linear => Math.Max(0, 1 - progress),
            _ => 1,
        };
    }

    // The same batches for the same (seed, epoch), so a resumed run sees the data in the same order: ⌈N / batch⌉
    // batches, each example once. (Length-grouped batches were tried for the world's base model: its mostly single-task
    // batches left it at 51.5 % FA against 96 %.)
    private IReadOnlyList<int[]> EpochBatches(int count, int epoch)
    {
        int[] order = Enumerable.Range(0, count).ToArray();
        if (_options.Shuffle)
            new Random(unchecked((int)(_options.Seed * 1_000_003L + epoch))).Shuffle(order);
        return order.Chunk(_options.BatchSize).ToArray();
    }

    // The forward passes of one micro-batch and the weight of each pass's loss (LengthSortedSplits): runs of the batch
    // sorted by length (by template first when sharing prefixes), cut where the passes compute the fewest positions
    // (LeastPaddedRuns); a part weighs its share of what the normalisation averages over (labelled tokens or samples), so
    // the weighted losses add up to the whole micro-batch's loss.
    private IEnumerable<(List<TokenizedExample> Part, double Weight)> Splits(List<TokenizedExample> examples, int splits, bool byTemplate)
    {
        int parts = Math.Min(splits, examples.Count);
        if (parts == 1)
        {
            yield return (examples, 1.0);
            yield break;
        }
        var units = examples.Select(Units).ToArray();
        double total = units.Sum();
        var order = (byTemplate
            ? Enumerable.Range(0, examples.Count).OrderBy(i => examples[i].InputIds, TemplateOrder.Instance).ThenBy(i => examples[i].Length)
            : Enumerable.Range(0, examples.Count).OrderBy(i => examples[i].Length)).ThenBy(i => i).ToArray();
        foreach (var part in LeastPaddedRuns(examples, order, parts, byTemplate, _options.MaxLength))
            yield return ([.. part.Select(i => examples[i])], total > 0 ? part.Sum(i => units[i]) / total : (double)part.Length / examples.Count);
    }

    // `parts` contiguous runs of `order` (1 ≤ parts ≤ its length) that minimise the positions their passes compute,
    // Σ rows × (longest − shared prefix) + shared prefix, by dynamic programming over the cut points (64 rows in 4 runs:
    // ~10⁴ steps, no tensor work). On the world's pretraining batches the passes compute 17 % fewer positions than runs
    // of equal size (docs/performance.md).
    internal static List<int[]> LeastPaddedRuns(IReadOnlyList<TokenizedExample> examples, int[] order, int parts, bool sharePrefix, int? maxLength)
    {
        int n = order.Length, cap = maxLength ?? int.MaxValue;
        var cost = new double[n, n + 1]; // cost[i, e]: rows order[i..e) as one pass
        for (int i = 0; i < n; i++)
        {
            int[] first = examples[order[i]].InputIds;
            int longest = 0, shortest = int.MaxValue, common = int.MaxValue;
            for (int e = i + 1; e <= n; e++)
            {
                var row = examples[order[e - 1]];
                int length = Math.Min(row.Length, cap);
                (longest, shortest) = (Math.Max(longest, length), Math.Min(shortest, length));
                int shared = 0;
                if (sharePrefix)
                {
                    common = TrainingBatch.CommonLength(first, row.InputIds, common);
                    shared = TrainingBatch.UsablePrefix(e - i, common, shortest); // as Collate finds it
                }
                cost[i, e] = (e - i) * (double)(longest - shared) + shared;
            }
        }
        // best[j, e]: the least cost of rows order[0..e) in j runs; start[j, e]: where the last of them starts.
        var best = new double[parts + 1, n + 1];
        var start = new int[parts + 1, n + 1];
        for (int j = 0; j <= parts; j++)
            for (int e = 0; e <= n; e++)
                best[j, e] = double.PositiveInfinity;
        best[0, 0] = 0;
        for (int j = 1; j <= parts; j++)
            for (int e = j; e <= n; e++)
                for (int i = j - 1; i < e; i++)
                {
                    double c = best[j - 1, i] + cost[i, e];
                    if (c < best[j, e])
                        (best[j, e], start[j, e]) = (c, i);
                }
        var runs = new List<int[]>(parts);
        for (int j = parts, e = n; j > 0; e = start[j, e], j--)
            runs.Add(order[start[j, e]..e]);
        runs.Reverse();
        return runs;
    }

    // What an example adds to the normaliser: its labelled tokens after the shift (t ≥ 1, within MaxLength), or 1 per
    // sample with any under SampleMean.
    private double Units(TokenizedExample example)
    {
        int length = Math.Min(example.Length, _options.MaxLength ?? int.MaxValue);
        int labelled = example.Labels.Take(length).Skip(1).Count(label => label != TokenLoss.IgnoreIndex);
        return _options.LossNormalization == TokenLossNormalization.SampleMean ? (labelled > 0 ? 1 : 0) : labelled;
    }

    // Orders sequences by their first 32 ids: rows that start with the same template header (the world's Alpaca headers
    // are 24 and 33 tokens) come together, and length decides within a header.
    private sealed class TemplateOrder : IComparer<int[]>
    {
        public static readonly TemplateOrder Instance = new();
        private const int Depth = 32;

        public int Compare(int[]? x, int[]? y)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(y);
            return x.AsSpan(0, Math.Min(Depth, x.Length)).SequenceCompareTo(y.AsSpan(0, Math.Min(Depth, y.Length)));
        }
    }

    // One host read for all steps since the last report.
    private static double Flush(List<Tensor> pending, List<double> losses)
    {
        if (pending.Count == 0)
            return double.NaN;
        using var stacked = stack(pending).to(float64).cpu();
        double[] values = stacked.data<double>().ToArray();
        foreach (var t in pending)
            t.Dispose();
        pending.Clear();
        losses.AddRange(values);
        return values.Average();
    }
}
