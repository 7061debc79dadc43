using SafeAlign.Models.Taps;
using static TorchSharp.torch;

namespace SafeAlign.Pruning;

/// <summary>
/// Wanda's activation statistic for chosen tap sites: per input feature j, the running mean over calibration samples
/// of Σ_t x_{t,j}² (fp32), where x is the tensor a <see cref="ModelTaps"/> site sees (a projection's input, or lora_A's
/// output for lora_B). Padding positions are excluded through the batch's attention mask, so a padded batch gives the
/// statistics of the same samples run one at a time. The memory is one vector per site, whatever the number of samples.
/// Sites that see the same tensor in a forward pass (q/k/v share their input, so do gate/up) compute its sum once.
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
    private Tensor? _positions;                                   // (N) int64: flat indices b·T + t of the batch's real tokens
    private long _batch, _width;
    private Tensor? _lastInput;                                   // not owned: the tensor the last sum was taken of
    private Tensor? _lastSum;                                     // owned: its Σ over real tokens of x², (F)

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
        if (_positions is not null)
            throw new InvalidOperationException("BeginBatch was called twice without EndBatch.");
        _positions = RealPositions(attentionMask).DetachFromDisposeScope();
        (_batch, _width) = (attentionMask.shape[0], attentionMask.shape[1]);
        _seen.Clear();
    }

    /// <summary>Ends the batch started by <see cref="BeginBatch"/>; every site must have seen the forward pass.</summary>
    /// <exception cref="InvalidOperationException">No batch was begun, or a site saw no tensor (e.g. the adapter was merged or disabled).</exception>
    public void EndBatch()
    {
        if (_positions is null)
            throw new InvalidOperationException("EndBatch was called without BeginBatch.");
        _positions.Dispose();
        _positions = null;
        ForgetLastSum();
        var missing = _means.Keys.Where(s => !_seen.Contains(s)).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"{missing.Count} watched sites saw no tensor in the forward pass (first: {missing[0]}); is the adapter merged or disabled?");
        Samples += _batch;
    }

    /// <summary>Stops watching and frees the statistics.</summary>
    public void Dispose()
    {
        _registration.Dispose();
        _positions?.Dispose();
        ForgetLastSum();
        foreach (var mean in _means.Values)
            mean?.Dispose();
        _means.Clear();
    }

    /// <summary>The flat indices b·T + t (int64) of the real tokens of a (B, T) attention mask (1 = real, 0 = padding).</summary>
    public static Tensor RealPositions(Tensor attentionMask)
    {
        ArgumentNullException.ThrowIfNull(attentionMask);
        using var scope = NewDisposeScope();
        return attentionMask.reshape(-1).nonzero().view(-1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Σ over the real tokens of x², summed over the batch: (features,), fp32. The kernel of the accumulation (benchmarked
    /// per calibration token): gather the real rows, square in place, reduce over rows.
    /// </summary>
    /// <param name="x">Activations (B, T, features), any float dtype.</param>
    /// <param name="positions">Flat indices b·T + t of the real tokens (<see cref="RealPositions"/>).</param>
    public static Tensor SquareSum(Tensor x, Tensor positions)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(positions);
        using var scope = NewDisposeScope();
        var real = x.reshape(-1, x.shape[^1]).index_select(0, positions).to(float32);  // (N, F), a fresh tensor
        return real.pow_(2).sum([0]).MoveToOuterDisposeScope();                          // (F)
    }

    private Tensor Observe(TapSite site, Tensor x)
    {
        if (_positions is null)
            return x; // a forward pass outside BeginBatch/EndBatch is not calibration
        if (!_seen.Add(site))
            throw new InvalidOperationException($"Tap site {site} fired twice in one forward pass.");
        if (x.dim() != 3 || x.shape[0] != _batch || x.shape[1] != _width)
            throw new InvalidOperationException($"Tap site {site} saw shape [{string.Join(", ", x.shape)}]; expected ({_batch}, {_width}, features) matching the batch mask.");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        if (!ReferenceEquals(x, _lastInput))
        {
            ForgetLastSum();
            _lastSum = SquareSum(x.detach(), _positions).DetachFromDisposeScope();    // (F)
            _lastInput = x;
        }
        double k = Samples, n = k + _batch;
        var mean = _means[site];
        if (mean is null)
            _means[site] = _lastSum!.div(n).DetachFromDisposeScope();
        else
            mean.mul_(k / n).add_(_lastSum!, alpha: 1 / n);
        return x;
    }

    private void ForgetLastSum()
    {
        _lastSum?.Dispose();
        (_lastSum, _lastInput) = (null, null);
    }
}
