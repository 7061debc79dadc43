using SafeAlign.Models;
using SafeAlign.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafeAlign.Defenses.Lisa;

/// <summary>
/// Lisa's bi-state step (Huang et al., arXiv 2405.18641; reference <c>LisaTrainer</c>). Optimizer steps cycle through
/// K_a alignment steps, then K_f user steps, starting with alignment as the reference does. An alignment step trains on
/// the next batch of its own cycling alignment stream and ignores the trainer's (user) batch, which is skipped, as in the
/// reference. Every step adds ρ/2·‖w − w̃‖² over the trainable weights, w̃ being their value at the latest state switch
/// (the initial weights before the first switch), once step s &gt; <see cref="LisaOptions.ProximalDelayRatio"/> × total.
/// States switch only between optimizer steps, so one optimizer step never mixes them under gradient accumulation.
/// </summary>
public sealed class LisaStep : ITrainingStep, IDisposable
{
    private readonly LisaOptions _options;
    private readonly CyclingBatches _alignment;
    private readonly int _totalSteps;
    private ParameterSnapshot? _anchor;
    private int _anchoredAt = -1;

    /// <summary>Creates the step.</summary>
    /// <param name="options">K_a, K_f, ρ and the proximal delay.</param>
    /// <param name="alignment">The alignment batches.</param>
    /// <param name="totalSteps">Optimizer steps of the job (the proximal delay is a share of it).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="totalSteps"/> is below 1.</exception>
    public LisaStep(LisaOptions options, CyclingBatches alignment, int totalSteps)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(alignment);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        (_options, _alignment, _totalSteps) = (options.Validate(), alignment, totalSteps);
    }

    /// <summary>Whether optimizer step <paramref name="step"/> (0-based) trains on alignment data.</summary>
    public bool IsAlignmentStep(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        int ka = _options.AlignmentSteps, kf = _options.FinetuneSteps;
        return ka > 0 && step % (ka + kf) < ka;
    }

    /// <summary>Whether the state switches at <paramref name="step"/>, so that w̃ is reset to the weights entering it.</summary>
    public bool IsSwitch(int step) => step > 0 && IsAlignmentStep(step) != IsAlignmentStep(step - 1);

    /// <summary>Whether the proximal term applies at <paramref name="step"/> (the reference's <c>steps &gt; 0.1·total</c>).</summary>
    public bool IsProximalOn(int step) => _options.Rho > 0 && step > _options.ProximalDelayRatio * _totalSteps;

    /// <inheritdoc />
    public Tensor Step(CausalLM model, TrainingBatch batch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        var parameters = model.TrainableParameters().Select(p => p.Parameter).ToList();
        if (_anchor is null || (IsSwitch(context.Step) && _anchoredAt != context.Step))
            Anchor(parameters, context.Step);

        var trained = IsAlignmentStep(context.Step) ? _alignment.Next(model.Device) : batch;
        var loss = TokenLoss.Normalized(model, trained);
        if (IsProximalOn(context.Step))
            loss = loss + _options.Rho / 2 * _anchor!.SquaredDistance(parameters);
        (loss * context.LossScale).backward();
        return loss.detach();
    }

    /// <summary>Disposes the consensus weights.</summary>
    public void Dispose() => _anchor?.Dispose();

    private void Anchor(IReadOnlyList<Parameter> parameters, int step)
    {
        _anchor?.Dispose();
        _anchor = ParameterSnapshot.OfWeights(parameters);
        _anchoredAt = step;
    }
}
