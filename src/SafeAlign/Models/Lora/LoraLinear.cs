using SafeAlign.Models.Taps;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace SafeAlign.Models.Lora;

/// <summary>
/// A linear projection of the model (q/k/v/o, gate/up/down, lm_head) with an optional LoRA adapter, as
/// PEFT's <c>lora.Linear</c>: <c>y = W x + b + (alpha/r) · B(A(dropout(x)))</c>. A is Kaiming-uniform
/// (a = √5), B zero, so attaching an adapter leaves the output unchanged. The adapter path runs in fp32
/// and is cast back to the compute dtype. <see cref="Merge"/> and <see cref="Unmerge"/> fold the
/// update into W and back.
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "weight")]
    private readonly Parameter _weight;      // (out, in)
    [ComponentName(Name = "bias")]
    private readonly Parameter? _bias;       // (out)
    private readonly ModelTaps? _taps;
    private readonly TapSite _site;
    private LoraFactor? _loraA;              // (r, in)
    private LoraFactor? _loraB;              // (out, r)
    private double _scaling;
    private double _dropout;

    /// <summary>Creates an uninitialised projection (weights are loaded or initialised by the model).</summary>
    public LoraLinear(long inFeatures, long outFeatures, bool bias, ScalarType dtype, Device? device = null, ModelTaps? taps = null, TapSite site = default)
        : base(nameof(LoraLinear))
    {
        _weight = new Parameter(empty(outFeatures, inFeatures, dtype: dtype, device: device));
        _bias = bias ? new Parameter(zeros(outFeatures, dtype: dtype, device: device)) : null;
        _taps = taps;
        _site = site;
        RegisterComponents();
    }

    /// <summary>The base weight (out, in).</summary>
    public Parameter Weight => _weight;

    /// <summary>The base bias, or null.</summary>
    public Parameter? Bias => _bias;

    /// <summary>lora_A (r, in), or null when no adapter is attached.</summary>
    public LoraFactor? LoraA => _loraA;

    /// <summary>lora_B (out, r), or null when no adapter is attached.</summary>
    public LoraFactor? LoraB => _loraB;

    /// <summary>Whether the adapter's update is currently folded into <see cref="Weight"/>.</summary>
    public bool Merged { get; private set; }

    /// <summary>When false the adapter is bypassed (the base model's output), e.g. for a reference forward.</summary>
    public bool AdapterEnabled { get; set; } = true;

    /// <summary>
    /// Where taps see this projection's input (<see cref="TapPoint.LinearInput"/>); the same layer and module with
    /// <see cref="TapPoint.LoraHidden"/> is where they see lora_A's output. Default for the output heads, which have no taps.
    /// </summary>
    public TapSite Site => _site;

    /// <summary>Dropout rate on the adapter's input (0 without an adapter).</summary>
    internal double DropoutRate => _dropout;

    /// <summary>alpha / r of the attached adapter.</summary>
    public double Scaling => _scaling;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        if (_taps is not null)
            x = _taps.Apply(_site, x);
        var y = nn.functional.linear(x, _weight, _bias);
        if (_loraA is null || _loraB is null || Merged || !AdapterEnabled)
            return y;
        using var scope = NewDisposeScope();
        var h = x.to(float32);
        if (_dropout > 0 && training)
            h = nn.functional.dropout(h, _dropout, training);
        var hidden = _loraA.call(h);                                   // (…, r), fp32
        if (_taps is not null)
            hidden = _taps.Apply(_site with { Point = TapPoint.LoraHidden }, hidden);
        var update = _loraB.call(hidden) * _scaling;
        return (y + update.to(y.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>Attaches a fresh adapter (A Kaiming-uniform from <paramref name="generator"/>, B zero).</summary>
    /// <exception cref="InvalidOperationException">An adapter is already attached.</exception>
    public void AttachLora(int rank, double alpha, double dropout, Generator generator)
    {
        if (_loraA is not null)
            throw new InvalidOperationException("This projection already has a LoRA adapter; merge and detach it first.");
        long inFeatures = _weight.shape[1], outFeatures = _weight.shape[0];
        // kaiming_uniform_(a=√5) on (r, in): bound = sqrt(6 / ((1 + a²) · fan_in)) = 1 / sqrt(in).
        double bound = 1.0 / Math.Sqrt(inFeatures);
        var a = (rand([rank, inFeatures], dtype: float32, generator: generator) * (2 * bound) - bound).to(_weight.device);
        _loraA = new LoraFactor(a);
        _loraB = new LoraFactor(zeros(outFeatures, rank, dtype: float32, device: _weight.device));
        register_module("lora_A", _loraA);
        register_module("lora_B", _loraB);
        _scaling = alpha / rank;
        _dropout = dropout;
        Merged = false;
    }

    /// <summary>Adds B·A·scaling into W (in place, no gradient).</summary>
    /// <exception cref="InvalidOperationException">No adapter, already merged, or the update is not finite.</exception>
    public void Merge() => Fold(+1, merged: true);

    /// <summary>Subtracts B·A·scaling from W, restoring the base weight up to rounding.</summary>
    public void Unmerge() => Fold(-1, merged: false);

    /// <summary>Merges the adapter into W and removes it: the base now includes the update (adapter stacking).</summary>
    public void MergeAndDetach()
    {
        if (!Merged)
            Merge();
        Merged = false; // the update now belongs to the base weight
        DetachLora();
    }

    /// <summary>Removes the adapter without merging it.</summary>
    public void DetachLora()
    {
        if (_loraA is null)
            return;
        if (Merged)
            throw new InvalidOperationException("The adapter is merged; unmerge it first or use MergeAndDetach.");
        register_module("lora_A", null!);
        register_module("lora_B", null!);
        _loraA.Dispose();
        _loraB!.Dispose();
        (_loraA, _loraB) = (null, null);
    }

    private void Fold(int sign, bool merged)
    {
        if (_loraA is null || _loraB is null)
            throw new InvalidOperationException("No LoRA adapter is attached.");
        if (Merged == merged)
            throw new InvalidOperationException(merged ? "The adapter is already merged." : "The adapter is not merged.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var delta = matmul(_loraB.Weight, _loraA.Weight) * (_scaling * sign); // (out, in), fp32
        if (!delta.isfinite().all().item<bool>())
            throw new InvalidOperationException("The LoRA update holds NaN or infinity; refusing to fold it into the base weight.");
        _weight.add_(delta.to(_weight.dtype));
        Merged = merged;
    }
}
