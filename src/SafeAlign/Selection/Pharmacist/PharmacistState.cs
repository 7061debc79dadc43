using SafeAlign.Models;
using SafeAlign.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafeAlign.Selection.Pharmacist;

/// <summary>
/// What a Pharmacist run trains: the logits ω (one per candidate, initialised equal) with their Adam, and the scratch
/// adapter θ with its AdamW. <see cref="Step"/> is one selector step: π_B = N·softmax(ω)[B], <see cref="PharmacistStep"/>'s
/// hypergradient, one Adam step on ω through the softmax, then one (clipped) AdamW step on θ. The model must carry the
/// scratch adapter (and nothing else trainable) for the state's lifetime.
/// </summary>
public sealed class PharmacistState : IDisposable
{
    private readonly CausalLM _model;
    private readonly PharmacistOptions _options;
    private readonly PharmacistStep _step;
    private readonly IReadOnlyList<Parameter> _adapter;
    private readonly optim.Optimizer _modelOptimizer, _selectorOptimizer;
    private readonly Parameter _logits;

    /// <summary>Creates the state.</summary>
    /// <param name="model">The model with the scratch adapter attached.</param>
    /// <param name="candidates">N, the number of alignment rows ranked.</param>
    /// <param name="options">The run's settings (validated here).</param>
    /// <exception cref="ArgumentException">An option is out of range or N is below 1.</exception>
    /// <exception cref="InvalidOperationException">The model has no adapter attached.</exception>
    public PharmacistState(CausalLM model, int candidates, PharmacistOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, 1);
        options.Validate();
        _adapter = LoraGradientCapture.FactorWeights(model);
        if (_adapter.Count == 0)
            throw new InvalidOperationException("PharmacistState needs the scratch LoRA adapter attached to the model.");
        (_model, _options) = (model, options);
        _step = new PharmacistStep(options.Eta, options.Alpha, options.UseHarmfulStep, options.Strategy);
        _modelOptimizer = optim.AdamW(_adapter, options.LearningRate, weight_decay: 0);
        _logits = new Parameter(full(candidates, options.InitialLogit, dtype: float32, device: model.Device));
        _selectorOptimizer = optim.Adam([_logits], options.SelectorLearningRate, options.SelectorBeta1, options.SelectorBeta2, options.SelectorEpsilon);
    }

    /// <summary>ω, the selector's logits (N).</summary>
    public Parameter Logits => _logits;

    /// <summary>One selector step on the rows <paramref name="rows"/> (indices into the candidates) collated in <paramref name="pool"/>.</summary>
    /// <param name="pool">The rows' batch, in <paramref name="rows"/> order.</param>
    /// <param name="rows">The rows' candidate indices.</param>
    /// <param name="harmful">A harmful batch; required when the harmful step is on.</param>
    /// <param name="validation">A validation batch.</param>
    /// <param name="lambda">λ of SEAL's penalty schedule for this step (0: the plain lower level).</param>
    /// <returns>The step's result, in the caller's dispose scope.</returns>
    public PharmacistStepResult Step(TrainingBatch pool, IReadOnlyList<int> rows, TrainingBatch? harmful, TrainingBatch validation, double lambda = 0)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(rows);
        var index = tensor(rows.Select(i => (long)i).ToArray(), device: _model.Device);
        var weights = (softmax(_logits, 0) * _logits.shape[0]).index_select(0, index);              // π_B, differentiable in ω
        var result = _step.Run(_model, pool, weights.detach(), harmful, validation, lambda);

        _selectorOptimizer.zero_grad();
        (weights * result.Hypergradient.detach()).sum().backward();                                 // ∂U/∂ω through the softmax
        _selectorOptimizer.step();

        if (_options.MaxGradNorm > 0)
            nn.utils.clip_grad_norm_(_adapter, _options.MaxGradNorm);
        _modelOptimizer.step();
        _modelOptimizer.zero_grad();
        return result;
    }

    /// <summary>ω copied to the host (one read).</summary>
    public double[] Scores()
    {
        using var host = _logits.detach().to(float64).cpu();
        return host.data<double>().ToArray();
    }

    /// <summary>Releases the optimizers and the logits.</summary>
    public void Dispose()
    {
        _modelOptimizer.Dispose();
        _selectorOptimizer.Dispose();
        _logits.Dispose();
    }
}
