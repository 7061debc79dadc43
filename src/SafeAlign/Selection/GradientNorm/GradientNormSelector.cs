using System.Diagnostics;
using SafeAlign.Evaluation;
using SafeAlign.Native;
using SafeAlign.Training;
using static TorchSharp.torch;

namespace SafeAlign.Selection.GradientNorm;

/// <summary>
/// Gradient-norm baseline (GraNd-style): scores each alignment row by ‖∇ℓ_i‖ over a fresh probe LoRA adapter on the base
/// model (at initialisation, so only lora_B has a gradient), computed per sample from one batch pass
/// (<see cref="LoraGradientCapture.SquaredNorms"/>), and keeps the largest (default) or smallest k. The probe adapter is
/// removed afterwards: the model is left as found.
/// </summary>
public sealed class GradientNormSelector : IAlignmentDataSelector
{
    /// <summary>The name the gradient-norm baseline is registered under.</summary>
    public const string SelectorName = "gradnorm";

    /// <summary>Creates the selector.</summary>
    /// <param name="options">Settings; defaults when null.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public GradientNormSelector(GradientNormSelectorOptions? options = null)
    {
        Options = options ?? new GradientNormSelectorOptions();
        Options.Validate();
    }

    /// <summary>The selector's settings.</summary>
    public GradientNormSelectorOptions Options { get; }

    /// <inheritdoc />
    public string Name => SelectorName;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The model already carries a LoRA adapter.</exception>
    public Task<AlignmentSelection> SelectAsync(SelectionRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        return ComputeThread.RunAsync(() =>
        {
            var clock = Stopwatch.StartNew();
            var model = request.Model;
            var examples = InstructionExamples.Build(request.Tokenizer, Options.MaxLength, request.Data.Safety.Select(r => (r.Prompt, (string?)null, r.Response)));
            var norms = new double[examples.Count];
            using (ScratchAdapter.Attach(model, Options.Lora(), Name))
            {
                var parameters = LoraGradientCapture.FactorWeights(model);
                for (int start = 0; start < examples.Count; start += Options.BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    var chunk = examples.Skip(start).Take(Options.BatchSize).ToList();
                    var batch = TrainingBatch.Collate(chunk, request.Tokenizer.PadId ?? 0, model.Device, Options.MaxLength);
                    using var capture = new LoraGradientCapture(model);
                    var perSample = TokenLoss.PerSample(model, batch);
                    capture.Stop();
                    perSample.sum().backward();
                    capture.SquaredNorms().sqrt().to(float64).cpu().data<double>().CopyTo(norms, start);
                    foreach (var p in parameters)
                        p.grad = null;
                }
            }
            double sign = Options.Keep == KeepOrder.Highest ? 1 : -1;
            var scores = norms.Select(n => sign * n).ToArray();
            var kept = SelectionRanking.TopK(scores, Options.KeepCount(scores.Length));
            progress?.Report($"{Name}: kept {kept.Count} of {scores.Length}");
            return new AlignmentSelection(Name, kept, scores, clock.Elapsed);
        }, cancellationToken);
    }
}
