using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SafeAlign.Models;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafeAlign.Defenses.TVaccine;

/// <summary>
/// One T-Vaccine step (Liu et al., arXiv 2410.09760; reference trainer <c>mesfa</c>):
/// <list type="number">
/// <item>every K steps (and at step 0) probe one harmful example: n_l = ‖∂ℓ/∂e_l‖₂ per layer, P_l = n_l / Σ_j n_j;</item>
/// <item>every J steps (and at step 0) draw γ distinct layers S with probabilities P, and freeze the attention adapters
/// (with <see cref="TVaccineOptions.TrainAllMlpAdapters"/> false, all adapters) of the layers outside S;</item>
/// <item>Vaccine's two passes restricted to S: ε_l = ρ·g_l / (‖(g_j)_{j∈S}‖₂ + 1e-7) added to e_l for l ∈ S only, with the
/// layers outside S under activation recomputation (<see cref="TVaccineOptions.RecomputeInactiveLayers"/>).</item>
/// </list>
/// Frozen adapters are reported through <see cref="FrozenParameters"/>, so the optimizer leaves them exactly as they are.
/// Dispose the step after training to make every adapter trainable again.
/// </summary>
public sealed class TVaccineStep : ITrainingStep, IDisposable
{
    private readonly CausalLM _model;
    private readonly TVaccineOptions _options;
    private readonly IReadOnlyList<TokenizedExample> _probePool;
    private readonly int _padTokenId;
    private readonly ILogger _logger;
    private readonly int[] _everyLayer;
    private readonly Parameter[][] _attentionAdapters; // [layer] → lora_A/lora_B of q, k, v, o
    private readonly Parameter[][] _mlpAdapters;       // [layer] → lora_A/lora_B of gate, up, down
    private double[]? _probabilities;
    private int[]? _active;

    /// <summary>Creates the step for <paramref name="model"/>, whose adapter must already be attached.</summary>
    /// <param name="model">The model the step will train.</param>
    /// <param name="options">ρ, K, J, γ and the MLP switch.</param>
    /// <param name="probePool">Harmful prompt → harmful answer examples (response-only labels); probes cycle through them.</param>
    /// <param name="padTokenId">Pad id for collating a probe example.</param>
    /// <param name="logger">Logs probes and draws at Debug.</param>
    /// <exception cref="ArgumentException">No adapter, an empty probe pool, or γ larger than the model's depth.</exception>
    public TVaccineStep(CausalLM model, TVaccineOptions options, IReadOnlyList<TokenizedExample> probePool, int padTokenId = 0, ILogger<TVaccineStep>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(probePool);
        options.Validate();
        if (model.Lora is null)
            throw new ArgumentException("T-Vaccine trains a LoRA adapter; the model has none attached.", nameof(model));
        if (probePool.Count == 0)
            throw new ArgumentException("T-Vaccine's probe pool is empty; expected at least one harmful prompt → harmful answer example.", nameof(probePool));
        int layers = model.Config.NumHiddenLayers;
        ActiveLayerCount = options.ActiveLayerCount(layers);
        (_model, _options, _probePool, _padTokenId) = (model, options, probePool, padTokenId);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _everyLayer = Enumerable.Range(0, layers).ToArray();
        _attentionAdapters = AdaptersPerLayer(model, layers, ".self_attn.");
        _mlpAdapters = AdaptersPerLayer(model, layers, ".mlp.");
    }

    /// <summary>γ: how many layers are active at a time.</summary>
    public int ActiveLayerCount { get; }

    /// <summary>P from the latest probe, one entry per layer; null before the first step.</summary>
    public IReadOnlyList<double>? LayerProbabilities => _probabilities;

    /// <summary>The layers perturbed and trained in the latest step, ascending; null before the first step.</summary>
    public IReadOnlyList<int>? ActiveLayers => _active;

    /// <inheritdoc />
    public Tensor Step(CausalLM model, TrainingBatch batch, StepContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        if (!ReferenceEquals(model, _model))
            throw new ArgumentException("This T-Vaccine step was created for another model.", nameof(model));
        // Probes and draws happen at the first micro-batch of a step, so every micro-batch of a step shares S.
        bool stepStart = context.MicroStep == 0;
        if (_probabilities is null || (stepStart && context.Step % _options.ProbeInterval == 0))
            Probe(context.Step);
        if (_active is null || (stepStart && context.Step % _options.ResampleInterval == 0))
            Resample(context.Step);
        int[] active = _active!;
        bool recompute = _options.RecomputeInactiveLayers ?? model.Device.type != TorchSharp.DeviceType.CPU;
        using var recomputation = recompute ? model.Recomputation.Enable(l => Array.BinarySearch(active, l) < 0) : null;
        return AttentionPerturbation.PerturbedBackward(model, batch, active, _options.Rho, context.LossScale);
    }

    /// <summary>The adapters of the layers outside the active set (attention only, unless the MLP switch is off).</summary>
    public IEnumerable<Parameter> FrozenParameters()
    {
        if (_active is null)
            return [];
        var frozen = _everyLayer.Where(l => Array.BinarySearch(_active, l) < 0);
        return frozen.SelectMany(l => _options.TrainAllMlpAdapters ? _attentionAdapters[l] : _attentionAdapters[l].Concat(_mlpAdapters[l]));
    }

    /// <summary>Makes every adapter trainable again.</summary>
    public void Dispose()
    {
        foreach (var p in _attentionAdapters.Concat(_mlpAdapters).SelectMany(ps => ps))
            p.requires_grad = true;
        _active = null;
    }

    /// <summary>n_l = ‖∂ℓ/∂e_l‖₂ of one harmful example at every layer: the probe behind P. (L) values.</summary>
    /// <param name="example">A harmful prompt → harmful answer example.</param>
    public double[] ProbeNorms(TokenizedExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        using var scope = NewDisposeScope();
        var batch = TrainingBatch.Collate([example], _padTokenId, _model.Device);
        var (_, gradients) = AttentionPerturbation.LossAndGradients(_model, batch, _everyLayer);
        var norms = stack(_everyLayer.Select(l => gradients[l].to(float32).square().sum().sqrt()).ToArray()); // (L)
        return norms.to(float64).cpu().data<double>().ToArray();
    }

    private void Probe(int step)
    {
        int example = step / _options.ProbeInterval % _probePool.Count;
        double[] norms = ProbeNorms(_probePool[example]);
        double total = norms.Sum();
        // A probe with no scored token (or a dead gradient) says nothing about the layers: sample them uniformly.
        _probabilities = total > 0 && double.IsFinite(total)
            ? norms.Select(n => n / total).ToArray()
            : Enumerable.Repeat(1.0 / norms.Length, norms.Length).ToArray();
        Log.Probed(_logger, step, example, string.Join(", ", _probabilities.Select(p => p.ToString("F3", CultureInfo.InvariantCulture))));
    }

    private void Resample(int step)
    {
        int draw = step / _options.ResampleInterval;
        // Seeded by (seed, draw index) rather than a running generator, so a resumed run draws the same sets.
        var random = new Random(unchecked((int)(_options.Seed * 1_000_003L + 7_919L * draw + 17)));
        _active = LayerSampler.Sample(_probabilities!, ActiveLayerCount, random);
        foreach (int l in _everyLayer)
        {
            bool active = Array.BinarySearch(_active, l) >= 0;
            foreach (var p in _attentionAdapters[l])
                p.requires_grad = active;
            foreach (var p in _mlpAdapters[l])
                p.requires_grad = active || _options.TrainAllMlpAdapters;
        }
        Log.LayersSampled(_logger, step, string.Join(", ", _active));
    }

    private static Parameter[][] AdaptersPerLayer(CausalLM model, int layers, string block)
    {
        var perLayer = Enumerable.Range(0, layers).Select(_ => new List<Parameter>()).ToArray();
        foreach (var (name, parameter) in model.named_parameters())
        {
            // model.layers.{l}.self_attn.q_proj.lora_A.weight, model.layers.{l}.mlp.up_proj.lora_B.weight
            const string prefix = "model.layers.";
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.Contains(".lora_", StringComparison.Ordinal))
                continue;
            int dot = name.IndexOf('.', prefix.Length);
            if (name.IndexOf(block, dot, StringComparison.Ordinal) == dot)
                perLayer[int.Parse(name.AsSpan(prefix.Length, dot - prefix.Length), CultureInfo.InvariantCulture)].Add(parameter);
        }
        return perLayer.Select(ps => ps.ToArray()).ToArray();
    }
}
