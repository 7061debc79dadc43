using SafeAlign.Models.Taps;
using static TorchSharp.torch;

namespace SafeAlign.Pruning;

/// <summary>
/// Wanda's activation statistic for chosen tap sites: per input feature j, the running mean over calibration samples
/// of Σ_t x_{t,j}² (fp32), where x is the tensor a <see cref="ModelTaps"/> site sees (a projection's input, or lora_A's
/// output for lora_B). Padding positions are excluded through the batch's attention mask, so a padded batch gives the
/// statistics of the same samples run one at a time. The memory is one vector per site, whatever the number of samples.
/// </summary>
/// <remarks>
/// The reference (Antidote, after Wanda) updates per sample <c>S ← S·k/(k+1) + ‖X_{:,j}‖²/(k+1)</c>; a batch of B
/// samples updates <c>S ← S·k/(k+B) + Σ_b ‖X_{b,:,j}‖²/(k+B)</c>, the same mean up to fp32 rounding.
/// Usage: <see cref="BeginBatch"/>, one forward pass, <see cref="EndBatch"/>.
/// </remarks>
public sealed class ActivationStatistics : IDisposable
{
    private readonly Dictionary<TapSite, Tensor> _means = [];   // site → (features), fp32
    private readonly HashSet<TapSite> _seen = [];
    private readonly IDisposable _registration;
    private Tensor? _mask;                                        // (B, T, 1) fp32 of the current batch
    private long _batch;

    /// <summary>Starts watching <paramref name="sites"/> on <paramref name="taps"/>; dispose to stop.</summary>
    /// <exception cref="ArgumentException">No site is given.</exception>
    public ActivationStatistics(ModelTaps taps, IEnumerable<TapSite> sites)
    {
        ArgumentNullException.ThrowIfNull(taps);
        ArgumentNullException.ThrowIfNull(sites);
        foreach (var site in sites)
            _means[site] = null!;
        if (_means.Count == 0)
            throw new ArgumentException("ActivationStatistics needs at least one tap site.", nameof(sites));
        _registration = taps.Add(_means.ContainsKey, Observe);
    }

    /// <summary>Calibration samples folded in so far.</summary>
    public long Samples { get; private set; }

    /// <summary>The statistic S of <paramref name="site"/> (features,), fp32; owned by this object.</summary>
    /// <exception cref="KeyNotFoundException">The site is not watched.</exception>
    /// <exception cref="InvalidOperationException">No batch has been folded in yet.</exception>
    public Tensor this[TapSite site]
    {
        get
        {
            if (!_means.TryGetValue(site, out var mean))
                throw new KeyNotFoundException($"Tap site {site} is not watched.");
            return mean ?? throw new InvalidOperationException($"No calibration batch has been folded in yet; {site} has no statistic.");
        }
    }

    /// <summary>Announces the next forward pass's padding mask.</summary>
    /// <param name="attentionMask">1 for real tokens, 0 for padding, (B, T).</param>
    /// <exception cref="InvalidOperationException">The previous batch was not ended.</exception>
    public void BeginBatch(Tensor attentionMask)
    {
        ArgumentNullException.ThrowIfNull(attentionMask);
        if (attentionMask.dim() != 2)
            throw new ArgumentException($"attentionMask has shape [{string.Join(", ", attentionMask.shape)}]; expected (batch, seq).", nameof(attentionMask));
        if (_mask is not null)
            throw new InvalidOperationException("BeginBatch was called twice without EndBatch.");
        _mask = attentionMask.to(float32).unsqueeze(-1).DetachFromDisposeScope();    // (B, T, 1)
        _batch = attentionMask.shape[0];
        _seen.Clear();
    }

    /// <summary>Ends the batch started by <see cref="BeginBatch"/>; every site must have seen the forward pass.</summary>
    /// <exception cref="InvalidOperationException">No batch was begun, or a site saw no tensor (e.g. the adapter was merged or disabled).</exception>
    public void EndBatch()
    {
        if (_mask is null)
            throw new InvalidOperationException("EndBatch was called without BeginBatch.");
        _mask.Dispose();
        _mask = null;
        var missing = _means.Keys.Where(s => !_seen.Contains(s)).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"{missing.Count} watched sites saw no tensor in the forward pass (first: {missing[0]}); is the adapter merged or disabled?");
        Samples += _batch;
    }

    /// <summary>Stops watching and frees the statistics.</summary>
    public void Dispose()
    {
        _registration.Dispose();
        _mask?.Dispose();
        foreach (var mean in _means.Values)
            mean?.Dispose();
        _means.Clear();
    }

    /// <summary>
    /// Σ over real tokens of x², per sample summed over the batch: (features,), fp32. The one kernel of the accumulation
    /// (benchmarked per calibration token).
    /// </summary>
    /// <param name="x">Activations (B, T, features), any float dtype.</param>
    /// <param name="mask">1 for real tokens, 0 for padding, (B, T, 1) fp32.</param>
    public static Tensor MaskedSquareSum(Tensor x, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        var squares = x.to(float32).square();                           // (B, T, F), a fresh tensor even when x is fp32
        return squares.mul_(mask).sum([0, 1]).MoveToOuterDisposeScope(); // (F)
    }

    private Tensor Observe(TapSite site, Tensor x)
    {
        if (_mask is null)
            return x; // a forward pass outside BeginBatch/EndBatch is not calibration
        if (!_seen.Add(site))
            throw new InvalidOperationException($"Tap site {site} fired twice in one forward pass.");
        if (x.dim() != 3 || x.shape[0] != _mask.shape[0] || x.shape[1] != _mask.shape[1])
            throw new InvalidOperationException($"Tap site {site} saw shape [{string.Join(", ", x.shape)}]; expected ({_mask.shape[0]}, {_mask.shape[1]}, features) matching the batch mask.");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var batchSum = MaskedSquareSum(x.detach(), _mask);               // (F)
        double k = Samples, n = k + _batch;
        var mean = _means[site];
        if (mean is null)
            _means[site] = batchSum.div_(n).DetachFromDisposeScope();
        else
            mean.mul_(k / n).add_(batchSum, alpha: 1 / n);
        return x;
    }
}
