using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SafeAlign.Evaluation;
using SafeAlign.Native;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafeAlign.Selection.Pharmacist;

/// <summary>
/// Pharmacist (Liu et al., arXiv 2510.10085): ranks the alignment rows by a bilevel selector and keeps the top share
/// (reconstruction: the paper's equations are not public; docs/selection.md). One logit ω_i per row, weights
/// π = N·softmax(ω) (mean 1, ω initialised equal). Lower level: a scratch LoRA θ aligned on (1/N)·Σ_i π_i ℓ_i(θ). Upper
/// level: the validation refusal loss after a simulated normalised harmful step, U(θ) = L_val(θ − α·∇h/‖∇h‖). Per batch,
/// <see cref="PharmacistStep"/> gives the one-step hypergradient ∂U/∂π_i = −(η/|B|)·⟨∇U(θ'), ∇ℓ_i(θ)⟩; Adam moves ω
/// along it through the softmax, then AdamW steps θ. After the epochs the scores are ω, the kept rows the top
/// k = round(ratio·N). The scratch adapter is removed: the model is left as found. With
/// <see cref="PharmacistOptions.UseHarmfulStep"/> off it is the validation-only ablation ("seal").
/// </summary>
public sealed class PharmacistSelector : IAlignmentDataSelector
{
    /// <summary>The name Pharmacist is registered under.</summary>
    public const string SelectorName = "pharmacist";

    /// <summary>The name of the ablation without the harmful step (a SEAL-like validation-only selector).</summary>
    public const string AblationName = "seal";

    private readonly ILogger _logger;

    /// <summary>Creates the selector.</summary>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="logger">Progress log; none by default.</param>
    /// <param name="name">The name it reports (default "pharmacist"; "seal" for the ablation).</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public PharmacistSelector(PharmacistOptions? options = null, ILogger<PharmacistSelector>? logger = null, string? name = null)
    {
        Options = options ?? new PharmacistOptions();
        Options.Validate();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        Name = string.IsNullOrWhiteSpace(name) ? (Options.UseHarmfulStep ? SelectorName : AblationName) : name;
    }

    /// <summary>The selector's settings.</summary>
    public PharmacistOptions Options { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">
    /// The request is incomplete, <see cref="Data.AlignmentData.Validation"/> is empty, or the harmful step is on and
    /// <see cref="Data.AlignmentData.Harmful"/> is empty.
    /// </exception>
    /// <exception cref="InvalidOperationException">The model already carries a LoRA adapter, or the logits diverged.</exception>
    public Task<AlignmentSelection> SelectAsync(SelectionRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        if (request.Data.Validation.Count == 0)
            throw new ArgumentException($"The {Name} selector needs a validation set: SelectionRequest.Data.Validation (harmful prompt → refusal, disjoint from the alignment set) is empty. The embedded world provides one (WorldAlignment.Data).", nameof(request));
        if (Options.UseHarmfulStep && request.Data.Harmful.Count == 0)
            throw new ArgumentException($"The {Name} selector simulates a harmful step: SelectionRequest.Data.Harmful (harmful prompt → harmful answer) is empty.", nameof(request));
        // Tensor dispose scopes are per thread: run the loop on one thread of its own, as the trainer does.
        return ComputeThread.RunAsync(() => Select(request, progress, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// The sample weights π = N·softmax(ω) a selection's scores (the logits ω) stand for, in double precision: mean 1,
    /// all 1 at the start, the weights the final lower level trains with.
    /// </summary>
    /// <param name="logits">ω, one per candidate (<see cref="AlignmentSelection.Scores"/> of a Pharmacist selection).</param>
    /// <exception cref="ArgumentException">The list is empty or holds a value that is not finite.</exception>
    public static double[] Weights(IReadOnlyList<double> logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Count == 0 || logits.Any(l => !double.IsFinite(l)))
            throw new ArgumentException("logits must be a non-empty list of finite numbers.", nameof(logits));
        double max = logits.Max();
        var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
        double sum = exp.Sum();
        return exp.Select(e => logits.Count * e / sum).ToArray();
    }

    private AlignmentSelection Select(SelectionRequest request, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var o = Options;
        var model = request.Model;
        int pad = request.Tokenizer.PadId ?? 0;
        var pool = Examples(request.Tokenizer, request.Data.Safety);
        var validation = Examples(request.Tokenizer, request.Data.Validation.Take(o.ValidationSize).ToList());
        int count = pool.Count, keep = o.KeepCount(count);
        Log.Started(_logger, Name, count, keep);

        double[] scores;
        using (ScratchAdapter.Attach(model, o.Lora(), Name))
        {
            using var state = new PharmacistState(model, count, o);
            var harmful = o.UseHarmfulStep ? new CyclingBatches(Examples(request.Tokenizer, request.Data.Harmful), o.HarmfulBatchSize, pad, o.MaxLength, o.Seed + 1, sharePrefix: true) : null;
            var validationBatches = new CyclingBatches(validation, o.ValidationBatchSize, pad, o.MaxLength, o.Seed + 2, sharePrefix: true);
            int batchesPerEpoch = (count + o.BatchSize - 1) / o.BatchSize, total = o.Epochs * batchesPerEpoch, done = 0;
            var pending = new List<Tensor>();
            try
            {
                model.train();
                for (int epoch = 0; epoch < o.Epochs; epoch++)
                {
                    double lambda = Math.Max(0, o.PenaltyStart - o.PenaltyDecay * epoch);
                    int[] order = Enumerable.Range(0, count).ToArray();
                    new Random(unchecked((int)(o.Seed * 1_000_003L + epoch))).Shuffle(order);
                    for (int b = 0; b < batchesPerEpoch; b++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        using var scope = NewDisposeScope();
                        int[] rows = order.Skip(b * o.BatchSize).Take(o.BatchSize).ToArray();
                        var batch = TrainingBatch.Collate(rows.Select(i => pool[i]).ToList(), pad, model.Device, o.MaxLength);
                        var result = state.Step(batch, rows, harmful?.Next(model.Device), validationBatches.Next(model.Device), lambda);
                        pending.Add(stack([result.LowerLoss, result.UpperLoss]).DetachFromDisposeScope());
                        if (++done % o.LogEvery == 0 || done == total)
                            Report(epoch, done, total, pending, state.Logits, progress);
                    }
                }
            }
            finally
            {
                foreach (var t in pending)
                    t.Dispose();
            }
            scores = state.Scores();
        }
        if (scores.Any(s => !double.IsFinite(s)))
            throw new InvalidOperationException($"The {Name} selector's logits diverged (NaN or infinity); lower SelectorLearningRate or LearningRate.");
        var kept = SelectionRanking.TopK(scores, keep);
        Log.Finished(_logger, Name, keep, count, clock.Elapsed.TotalSeconds);
        progress?.Report($"{Name}: kept {keep} of {count} in {clock.Elapsed.TotalSeconds:F1} s");
        return new AlignmentSelection(Name, kept, scores, clock.Elapsed);
    }

    // One host read per report: the mean lower and upper loss since the last one, and the spread of ω.
    private void Report(int epoch, int done, int total, List<Tensor> pending, Parameter omega, IProgress<string>? progress)
    {
        using var scope = NewDisposeScope();
        var means = stack(pending).mean([0]).to(float64).cpu().data<double>().ToArray();
        double spread = (omega.detach().max() - omega.detach().min()).to(float64).item<double>();
        foreach (var t in pending)
            t.Dispose();
        pending.Clear();
        Log.Progress(_logger, Name, epoch, done, total, means[0], means[1], spread);
        progress?.Report($"{Name}: epoch {epoch + 1}/{Options.Epochs}, step {done}/{total}, lower loss {means[0]:F4}, upper loss {means[1]:F4}");
    }

    private List<TokenizedExample> Examples(HfTokenizer tokenizer, IReadOnlyList<Data.SafetyExample> rows) =>
        InstructionExamples.Build(tokenizer, Options.MaxLength, rows.Select(r => (r.Prompt, (string?)null, r.Response)));
}
