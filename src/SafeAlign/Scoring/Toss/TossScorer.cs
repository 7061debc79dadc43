using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Native;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using static TorchSharp.torch;

namespace SafeAlign.Scoring.Toss;

/// <summary>
/// TOSS and TOSS-Pro (Li et al., "Token-level Data Selection for Safe LLM Fine-tuning", arXiv 2603.01185). Two LoRA
/// reference models are trained from the aligned model with SafeAlign's <see cref="Trainer"/>: θʰ on harmful
/// prompt → harmful answer rows 𝒟ʰ, θᵘ on clean task rows 𝒟ᵘ (or loaded from PEFT folders). Every response token j of
/// user sample i (label ≠ −100, EOS included) is scored S(i, j) = ℓᵘ(i, j) − ℓʰ(i, j) with ℓ = −log p(yᵢⱼ | prompt, yᵢ,&lt;ⱼ),
/// unnormalised; the top d of all tokens ranked globally are discarded (label → −100, the ids stay as context).
/// TOSS-Pro (<see cref="TossOptions.Rounds"/> &gt; 0) walks the global ranking each round, adds the first k distinct samples
/// to 𝒟ʰ and retrains θʰ from the aligned model; θᵘ and its losses stay fixed.
/// The references share the aligned weights by taking turns as the model's one adapter; scoring streams batched
/// no-grad forwards that keep only per-token losses. The model is left as found: no adapter, the same weights, the same
/// trainable flags and mode. Choices where the paper is vague: docs/scoring.md.
/// </summary>
public sealed class TossScorer : ITokenRiskScorer
{
    /// <summary>TOSS with global ranking.</summary>
    public const string ScorerName = "toss";

    /// <summary>TOSS-Pro (<see cref="TossOptions.Rounds"/> &gt; 0).</summary>
    public const string ProScorerName = "toss-pro";

    /// <summary>TOSS with per-sample ranking (<see cref="TossRanking.PerSample"/>).</summary>
    public const string LocalScorerName = "toss-local";

    /// <summary>The sample-level baseline on TOSS's harmful reference (<see cref="TossRanking.WholeSamples"/>).</summary>
    public const string SampleScorerName = "toss-sample";

    /// <summary>The length-aware sample-level baseline: whole samples ranked by their summed S (<see cref="TossRanking.WholeSamplesBySum"/>).</summary>
    public const string SampleSumScorerName = "toss-sample-sum";

    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;

    /// <summary>Creates the scorer.</summary>
    /// <param name="options">Settings; defaults (plain TOSS) when null.</param>
    /// <param name="loggerFactory">Creates the scorer's and the reference trainer's loggers; none by default.</param>
    public TossScorer(TossOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        Options = (options ?? new TossOptions()).Validate();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<TossScorer>();
    }

    /// <summary>The settings.</summary>
    public TossOptions Options { get; }

    /// <inheritdoc />
    public string Name => Options.Rounds > 0 ? ProScorerName : Options.Ranking switch
    {
        TossRanking.PerSample => LocalScorerName,
        TossRanking.WholeSamples => SampleScorerName,
        TossRanking.WholeSamplesBySum => SampleSumScorerName,
        _ => ScorerName,
    };

    /// <summary>
    /// Trains (or loads) the references, scores every response token of <see cref="TokenRiskRequest.UserData"/> and masks
    /// the riskiest. Runs on a dedicated thread (tensor dispose scopes are per thread).
    /// </summary>
    /// <exception cref="ArgumentException">The request is incomplete, or lacks the reference rows a reference must be trained on.</exception>
    /// <exception cref="InvalidOperationException">The model already has a LoRA adapter attached (merge it first).</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the model is restored before this propagates.</exception>
    public Task<TokenRiskScores> ScoreAsync(TokenRiskRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        if (request.Model.Lora is not null)
            throw new InvalidOperationException("TOSS trains its reference adapters on the model, which already has a LoRA adapter attached; merge it (CausalLM.MergeAndDetachLora) before scoring.");
        return ComputeThread.RunAsync(() => Score(request, progress, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// The scoring pass alone, for references already at hand: S(i, j) = ℓᵘ(i, j) − ℓʰ(i, j) for every response token of
    /// <paramref name="data"/> (NaN elsewhere), each reference attached in turn to <paramref name="model"/> for one streamed
    /// no-grad pass and detached again.
    /// </summary>
    /// <param name="model">The aligned model, without an adapter.</param>
    /// <param name="utility">θᵘ.</param>
    /// <param name="harmful">θʰ.</param>
    /// <param name="data">Tokenized examples.</param>
    /// <param name="batchSize">Examples per forward.</param>
    /// <param name="padTokenId">Padding id.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="InvalidOperationException">The model already has an adapter.</exception>
    public static float[][] TokenScores(CausalLM model, LoraAdapterState utility, LoraAdapterState harmful, IReadOnlyList<TokenizedExample> data,
        int batchSize, int padTokenId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(utility);
        ArgumentNullException.ThrowIfNull(harmful);
        ArgumentNullException.ThrowIfNull(data);
        return Subtract(LossesWith(model, utility, data, batchSize, padTokenId, cancellationToken), LossesWith(model, harmful, data, batchSize, padTokenId, cancellationToken));
    }

    private static float[][] LossesWith(CausalLM model, LoraAdapterState adapter, IReadOnlyList<TokenizedExample> data, int batchSize, int padTokenId, CancellationToken cancellationToken)
    {
        adapter.AttachTo(model);
        try
        {
            return PerTokenLosses.Compute(model, data, batchSize, padTokenId, cancellationToken);
        }
        finally
        {
            model.DetachLora();
        }
    }

    private TokenRiskScores Score(TokenRiskRequest request, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var o = Options;
        var model = request.Model;
        var data = request.UserData;
        var run = new Run(this, model, request.Tokenizer.PadId ?? 0, progress, cancellationToken);

        var harmfulRows = Tokenize(request.Tokenizer, Draw(request.Reference.Harmful, o.HarmfulReferenceSamples, o.Seed)
            .Select(h => (h.Prompt, (string?)null, h.Response)));
        var utilityRows = Tokenize(request.Tokenizer, Draw(request.Reference.Utility, o.UtilityReferenceSamples, o.Seed + 1)
            .Select(t => (t.Instruction, t.Input.Length == 0 ? null : (string?)t.Input, t.Answer)));
        if (o.HarmfulAdapter is null && harmfulRows.Count == 0)
            throw new ArgumentException("TokenRiskRequest.Reference.Harmful is empty: TOSS needs harmful prompt → harmful answer rows to train θʰ, or TossOptions.HarmfulAdapter.");
        if (o.UtilityAdapter is null && utilityRows.Count == 0)
            throw new ArgumentException("TokenRiskRequest.Reference.Utility is empty: TOSS needs clean task rows to train θᵘ, or TossOptions.UtilityAdapter.");
        int k = o.SamplesPerRound ?? harmfulRows.Count / 2;
        if (o.Rounds > 0 && k < 1)
            throw new ArgumentException($"TOSS-Pro would add k = |D^h| / 2 = {k} samples per round ({harmfulRows.Count} harmful reference rows); set TossOptions.SamplesPerRound.");

        var trainable = model.parameters().Select(p => p.requires_grad).ToArray();
        bool training = model.training;
        LoraAdapterState? utility = null, harmful = null;
        try
        {
            utility = run.Reference("utility", o.UtilityAdapter, utilityRows);
            harmful = run.Reference("harmful", o.HarmfulAdapter, harmfulRows);
            var lossU = run.Losses("utility", utility, data);
            var lossH = run.Losses("harmful", harmful, data);

            var added = new List<int>();                 // user samples in 𝒟ʰ, in the order they joined
            var inHarmfulSet = new HashSet<int>();
            var additions = new List<IReadOnlyList<int>>();
            for (int round = 0; round < o.Rounds; round++)
            {
                int[] walked = TokenRanking.SamplesInRankOrder(Subtract(lossU, lossH), k);
                var fresh = walked.Where(inHarmfulSet.Add).ToList();
                added.AddRange(fresh);
                additions.Add(walked);
                var set = harmfulRows.Concat(added.Select(s => data[s])).ToList();
                Log.ProRound(_logger, Name, round + 1, walked.Length, fresh.Count, set.Count);
                progress?.Report($"{Name}: round {round + 1}: {fresh.Count} new samples, harmful reference {set.Count} rows");
                harmful.Dispose();
                harmful = null;
                harmful = run.Train("harmful", set);
                lossH = run.Losses("harmful", harmful, data);
            }

            float[][] risk;
            int[][] discarded;
            if (o.Ranking == TossRanking.WholeSamples)
            {
                risk = Negate(lossH); // −ℓʰ: how well the harmful reference predicts each token
                discarded = TokenRanking.WholeSamples(risk, SampleReduce(risk, mean: true), o.DiscardRatio);
            }
            else if (o.Ranking == TossRanking.WholeSamplesBySum)
            {
                risk = Subtract(lossU, lossH);
                discarded = TokenRanking.WholeSamples(risk, SampleReduce(risk, mean: false), o.DiscardRatio);
            }
            else
            {
                risk = Subtract(lossU, lossH);
                discarded = o.Ranking == TossRanking.PerSample ? TokenRanking.PerSampleTop(risk, o.DiscardRatio) : TokenRanking.GlobalTop(risk, o.DiscardRatio);
            }
            if (o.SaveAdaptersTo is not null)
            {
                run.Save(utility, Path.Combine(o.SaveAdaptersTo, "utility"));
                run.Save(harmful, Path.Combine(o.SaveAdaptersTo, "harmful"));
            }
            var mask = TokenMask.Create(data, discarded, Name);
            Log.Masked(_logger, Name, mask.DiscardedTokens, mask.ResponseTokens, clock.Elapsed.TotalSeconds);
            progress?.Report($"{Name}: discarded {mask.DiscardedTokens} of {mask.ResponseTokens} response tokens");
            return new TokenRiskScores(Name, risk, mask.Apply(data), mask.DiscardedTokens, mask.ResponseTokens, clock.Elapsed) { Mask = mask, ReferenceAdditions = additions };
        }
        finally
        {
            if (model.Lora is not null)
                model.DetachLora();
            utility?.Dispose();
            harmful?.Dispose();
            int i = 0;
            foreach (var p in model.parameters())
                p.requires_grad = trainable[i++];
            model.train(training);
        }
    }

    // The steps of one scoring run on one model.
    private sealed class Run(TossScorer scorer, CausalLM model, int padTokenId, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        private readonly TossOptions _o = scorer.Options;

        // θ trained from the model as it came (the aligned weights, no adapter), or loaded from a PEFT folder.
        public LoraAdapterState Reference(string name, string? folder, IReadOnlyList<TokenizedExample> rows)
        {
            if (folder is null)
                return Train(name, rows);
            PeftAdapter.Load(model, folder);
            try
            {
                Log.ReferenceLoaded(scorer._logger, scorer.Name, name, folder);
                return LoraAdapterState.Capture(model);
            }
            finally
            {
                model.DetachLora();
            }
        }

        public LoraAdapterState Train(string name, IReadOnlyList<TokenizedExample> rows)
        {
            progress?.Report($"{scorer.Name}: training the {name} reference on {rows.Count} rows");
            model.AttachLora(_o.Lora());
            try
            {
                var trainer = new Trainer(_o.Trainer(padTokenId), scorer._loggerFactory.CreateLogger<Trainer>());
                var report = trainer.Run(model, rows, cancellationToken: cancellationToken);
                Log.ReferenceTrained(scorer._logger, scorer.Name, name, rows.Count, report.Steps, report.Elapsed.TotalSeconds, report.Losses.Count > 0 ? report.Losses[^1] : double.NaN);
                return LoraAdapterState.Capture(model);
            }
            finally
            {
                model.DetachLora();
            }
        }

        public float[][] Losses(string name, LoraAdapterState adapter, IReadOnlyList<TokenizedExample> data)
        {
            var clock = Stopwatch.StartNew();
            var losses = LossesWith(model, adapter, data, _o.ScoringBatchSize, padTokenId, cancellationToken);
            var (sum, count) = Totals(losses);
            Log.ReferenceScored(scorer._logger, scorer.Name, name, count, data.Count, clock.Elapsed.TotalSeconds, count == 0 ? double.NaN : sum / count);
            return losses;
        }

        public void Save(LoraAdapterState adapter, string folder)
        {
            adapter.AttachTo(model);
            try
            {
                PeftAdapter.Save(model, folder);
            }
            finally
            {
                model.DetachLora();
            }
        }
    }

    private List<TokenizedExample> Tokenize(HfTokenizer tokenizer, IEnumerable<(string Instruction, string? Input, string Response)> rows) =>
        InstructionExamples.Build(tokenizer, Options.MaxLength, rows);

    // A seeded draw without replacement, in draw order; everything when count is null or covers the list.
    private static IReadOnlyList<T> Draw<T>(IReadOnlyList<T> rows, int? count, long seed)
    {
        if (count is not int n || n >= rows.Count)
            return rows;
        int[] order = Enumerable.Range(0, rows.Count).ToArray();
        new Random(unchecked((int)seed)).Shuffle(order);
        return order.Take(n).Select(i => rows[i]).ToList();
    }

    // The same arrays shape-wise, a − b elementwise (NaN stays NaN), computed as one tensor op.
    private static float[][] Subtract(float[][] a, float[][] b) => Elementwise(a, b, (x, y) => x - y);

    private static float[][] Negate(float[][] a) => Elementwise(a, a, (x, _) => x.neg());

    private static float[][] Elementwise(float[][] a, float[][] b, Func<Tensor, Tensor, Tensor> op)
    {
        using var scope = NewDisposeScope();
        float[] flat = op(tensor(Flatten(a)), tensor(Flatten(b))).data<float>().ToArray();
        var result = new float[a.Length][];
        for (int i = 0, offset = 0; i < a.Length; offset += a[i].Length, i++)
            result[i] = flat.AsSpan(offset, a[i].Length).ToArray();
        return result;
    }

    private static float[] Flatten(float[][] rows)
    {
        var flat = new float[rows.Sum(r => r.Length)];
        for (int i = 0, offset = 0; i < rows.Length; offset += rows[i].Length, i++)
            rows[i].CopyTo(flat, offset);
        return flat;
    }

    // Per sample, the mean over its scored (non-NaN) positions; NaN for a sample without one.
    // Per sample, the mean (or sum) of its scored positions; NaN for a sample without one.
    private static double[] SampleReduce(float[][] rows, bool mean)
    {
        using var scope = NewDisposeScope();
        int width = rows.Max(r => r.Length);
        var padded = new float[rows.Length * width];
        Array.Fill(padded, float.NaN);
        for (int i = 0; i < rows.Length; i++)
            rows[i].CopyTo(padded, i * width);
        var values = tensor(padded, [rows.Length, width]).to(float64);       // (S, Lmax)
        var scored = values.isnan().logical_not();                           // (S, Lmax)
        var sums = values.masked_fill(scored.logical_not(), 0).sum(1);       // (S)
        var counts = scored.sum(1).to(float64);                              // (S)
        var empty = counts.eq(0);                                            // (S)
        var reduced = mean ? sums / counts : sums.masked_fill(empty, double.NaN); // 0/0 = NaN for a sample without a scored token
        return reduced.data<double>().ToArray();
    }

    private static (double Sum, long Count) Totals(float[][] losses)
    {
        using var scope = NewDisposeScope();
        var flat = tensor(Flatten(losses));
        var scored = flat.isnan().logical_not();
        return (flat.masked_select(scored).to(float64).sum().item<double>(), scored.sum().item<long>());
    }
}
