using SafeAlign.Models.Safetensors;
using static TorchSharp.torch;

namespace SafeAlign.Pruning;

/// <summary>
/// The entries a pruner zeroed, per pruned parameter: the column indices (rows, k) of every row's zeroed entries, owned
/// by this object (outside every dispose scope) until it is disposed. Indices, not a bool mask: at Antidote's ratios they
/// take less memory than a mask (8 bytes × 10 % of the entries at α = 0.1; one index per row in the full fine-tuning
/// variant's α = 1e-5), and they are what the zeroing consumes. <see cref="Mask"/> and <see cref="Save"/> give bool masks.
/// </summary>
public sealed class PruningMasks : IDisposable
{
    private readonly Dictionary<string, (Tensor Indices, long Columns)> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>Parameter names in the order they were added.</summary>
    public IReadOnlyList<string> Parameters => _order;

    /// <summary>The zeroed column indices (rows, k) of <paramref name="parameter"/>, ascending within each row; owned by this object.</summary>
    /// <exception cref="KeyNotFoundException">That parameter was not pruned.</exception>
    public Tensor Indices(string parameter) => Entry(parameter).Indices;

    /// <summary>A new bool mask shaped like <paramref name="parameter"/>, true where an entry was zeroed; the caller owns it.</summary>
    /// <exception cref="KeyNotFoundException">That parameter was not pruned.</exception>
    public Tensor Mask(string parameter)
    {
        var (indices, columns) = Entry(parameter);
        return RowPruning.ToMask(indices, columns);
    }

    /// <summary>Takes ownership of <paramref name="indices"/> (rows, k), int64, for a parameter of <paramref name="columns"/> columns.</summary>
    /// <exception cref="ArgumentException">The indices are not an int64 matrix, or the parameter already has an entry.</exception>
    public void Add(string parameter, Tensor indices, long columns)
    {
        ArgumentException.ThrowIfNullOrEmpty(parameter);
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.dtype != ScalarType.Int64 || indices.dim() != 2 || indices.shape[1] > columns)
            throw new ArgumentException($"The indices of '{parameter}' are {indices.dtype} [{string.Join(", ", indices.shape)}]; expected Int64 (rows, k ≤ {columns}).", nameof(indices));
        if (_entries.ContainsKey(parameter))
            throw new ArgumentException($"'{parameter}' already has a mask.", nameof(parameter));
        _entries[parameter] = (indices.DetachFromDisposeScope(), columns);
        _order.Add(parameter);
    }

    /// <summary>Writes the bool masks (true = zeroed, shaped like each parameter, under its name) as one safetensors file, atomically.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var scope = NewDisposeScope();
        SafetensorsWriter.Save(path, _order.Select(p => new KeyValuePair<string, Tensor>(p, Mask(p).cpu())),
            new Dictionary<string, string> { ["format"] = "pt", ["content"] = "pruning mask, true = zeroed" });
    }

    /// <summary>Disposes every entry.</summary>
    public void Dispose()
    {
        foreach (var (indices, _) in _entries.Values)
            indices.Dispose();
        _entries.Clear();
        _order.Clear();
    }

    private (Tensor Indices, long Columns) Entry(string parameter) =>
        _entries.TryGetValue(parameter, out var entry) ? entry
            : throw new KeyNotFoundException($"No pruning mask for '{parameter}'; masks exist for {_order.Count} parameters.");
}
