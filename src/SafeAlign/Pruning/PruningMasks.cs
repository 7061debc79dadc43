using SafeAlign.Models.Safetensors;
using static TorchSharp.torch;

namespace SafeAlign.Pruning;

/// <summary>
/// The entries a pruner zeroed: one bool tensor (true = zeroed) per pruned parameter, shaped like it and owned by this
/// object (outside every dispose scope) until it is disposed.
/// </summary>
public sealed class PruningMasks : IDisposable
{
    private readonly Dictionary<string, Tensor> _masks = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>Parameter names in the order they were added.</summary>
    public IReadOnlyList<string> Parameters => _order;

    /// <summary>The mask of <paramref name="parameter"/>.</summary>
    /// <exception cref="KeyNotFoundException">That parameter was not pruned.</exception>
    public Tensor this[string parameter] => _masks.TryGetValue(parameter, out var mask) ? mask
        : throw new KeyNotFoundException($"No pruning mask for '{parameter}'; masks exist for {_order.Count} parameters.");

    /// <summary>Takes ownership of <paramref name="mask"/> (detached from its dispose scope).</summary>
    /// <exception cref="ArgumentException">The mask is not bool, or the parameter already has one.</exception>
    public void Add(string parameter, Tensor mask)
    {
        ArgumentException.ThrowIfNullOrEmpty(parameter);
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.dtype != ScalarType.Bool)
            throw new ArgumentException($"The mask of '{parameter}' has dtype {mask.dtype}; expected Bool.", nameof(mask));
        if (_masks.ContainsKey(parameter))
            throw new ArgumentException($"'{parameter}' already has a mask.", nameof(parameter));
        _masks[parameter] = mask.DetachFromDisposeScope();
        _order.Add(parameter);
    }

    /// <summary>Writes the masks as a safetensors file (BOOL tensors under the parameter names), atomically.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var scope = NewDisposeScope();
        SafetensorsWriter.Save(path, _order.Select(p => new KeyValuePair<string, Tensor>(p, _masks[p].cpu())),
            new Dictionary<string, string> { ["format"] = "pt", ["content"] = "pruning mask, true = zeroed" });
    }

    /// <summary>Disposes every mask.</summary>
    public void Dispose()
    {
        foreach (var mask in _masks.Values)
            mask.Dispose();
        _masks.Clear();
        _order.Clear();
    }
}
