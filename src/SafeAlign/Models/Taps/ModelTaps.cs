using TorchSharp;

namespace SafeAlign.Models.Taps;

/// <summary>
/// Observes or replaces a tensor at a <see cref="TapSite"/>; return the tensor unchanged to observe,
/// or a new one (e.g. <c>value + epsilon</c>) to modify the forward pass from there on. The tensor
/// belongs to the forward pass's dispose scope: to keep it, take an alias and detach that from the
/// scope (as <see cref="TapCapture"/> does).
/// </summary>
public delegate torch.Tensor Tap(TapSite site, torch.Tensor value);

/// <summary>
/// The one mechanism by which methods read or perturb intermediate tensors of a <see cref="CausalLM"/>:
/// attention outputs (Vaccine, T-Vaccine, Booster), MLP outputs and layer outputs (RepNoise), inputs of
/// each linear projection (Antidote's Wanda score). Taps run in the order added; with none added a
/// site costs one list check.
/// </summary>
public sealed class ModelTaps
{
    private readonly List<(Func<TapSite, bool> Where, Tap Tap)> _taps = [];

    /// <summary>Whether any tap is active.</summary>
    public bool IsEmpty => _taps.Count == 0;

    /// <summary>Adds a tap at every site of <paramref name="point"/>; dispose the handle to remove it.</summary>
    public IDisposable Add(TapPoint point, Tap tap) => Add(site => site.Point == point, tap);

    /// <summary>Adds a tap at the sites <paramref name="where"/> accepts; dispose the handle to remove it.</summary>
    public IDisposable Add(Func<TapSite, bool> where, Tap tap)
    {
        ArgumentNullException.ThrowIfNull(where);
        ArgumentNullException.ThrowIfNull(tap);
        var entry = (where, tap);
        _taps.Add(entry);
        return new Handle(() => _taps.Remove(entry));
    }

    /// <summary>Captures the tensor at <paramref name="point"/> of every layer until the capture is disposed.</summary>
    /// <param name="point">Where to capture.</param>
    /// <param name="retainGrad">Keep each tensor's gradient after backward.</param>
    public TapCapture Capture(TapPoint point, bool retainGrad = false) => new(this, point, retainGrad);

    /// <summary>Whether some tap would see one of <paramref name="sites"/>.</summary>
    internal bool AnyAt(IReadOnlyList<TapSite> sites)
    {
        if (_taps.Count == 0)
            return false;
        foreach (var (where, _) in _taps)
        {
            foreach (var site in sites)
            {
                if (where(site))
                    return true;
            }
        }
        return false;
    }

    /// <summary>Runs the matching taps on <paramref name="value"/>, returning what the last one returned.</summary>
    internal torch.Tensor Apply(TapSite site, torch.Tensor value)
    {
        if (_taps.Count == 0)
            return value;
        foreach (var (where, tap) in _taps.ToArray())
        {
            if (where(site))
                value = tap(site, value);
        }
        return value;
    }

    private sealed class Handle(Action remove) : IDisposable
    {
        private Action? _remove = remove;

        public void Dispose()
        {
            _remove?.Invoke();
            _remove = null;
        }
    }
}
