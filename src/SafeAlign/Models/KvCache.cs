using static TorchSharp.torch;

namespace SafeAlign.Models;

/// <summary>
/// Keys and values of past positions, per layer, (B, kv_heads, S, head_dim). The cache owns its tensors
/// (outside any dispose scope); appending replaces and disposes the previous pair.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly (Tensor K, Tensor V)?[] _layers;
    private readonly bool _keepGraph;

    /// <summary>An empty cache for <paramref name="layers"/> decoder layers.</summary>
    public KvCache(int layers) : this(layers, keepGraph: false)
    {
    }

    // keepGraph: the cached k/v stay in the autograd graph, so a loss on later positions back-propagates into the
    // positions that filled the cache (training on a shared prefix); generation detaches them.
    internal KvCache(int layers, bool keepGraph)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        _layers = new (Tensor, Tensor)?[layers];
        _keepGraph = keepGraph;
    }

    /// <summary>Number of cached positions.</summary>
    public long Length => _layers[0]?.K.shape[2] ?? 0;

    /// <summary>Appends this step's k/v (B, kv_heads, T, D) to layer <paramref name="layer"/>; returns the full k/v.</summary>
    internal (Tensor K, Tensor V) Append(int layer, Tensor k, Tensor v)
    {
        var previous = _layers[layer];
        Tensor fullK, fullV;
        if (previous is { } p)
        {
            fullK = cat([p.K, k], 2).DetachFromDisposeScope();
            fullV = cat([p.V, v], 2).DetachFromDisposeScope();
            p.K.Dispose();
            p.V.Dispose();
        }
        else
        {
            fullK = (_keepGraph ? k.alias() : k.detach()).DetachFromDisposeScope();
            fullV = (_keepGraph ? v.alias() : v.detach()).DetachFromDisposeScope();
        }
        _layers[layer] = (fullK, fullV);
        return (fullK, fullV);
    }

    /// <summary>Repeats a batch-1 cache <paramref name="batch"/> times along the batch (a view: no copy).</summary>
    internal void ExpandBatch(long batch)
    {
        for (int l = 0; l < _layers.Length; l++)
        {
            if (_layers[l] is not { } p)
                continue;
            if (p.K.shape[0] != 1)
                throw new InvalidOperationException($"Only a batch-1 cache can be expanded; layer {l} holds {p.K.shape[0]} rows.");
            _layers[l] = (p.K.expand(batch, -1, -1, -1).DetachFromDisposeScope(), p.V.expand(batch, -1, -1, -1).DetachFromDisposeScope());
            p.K.Dispose();
            p.V.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var entry in _layers)
        {
            entry?.K.Dispose();
            entry?.V.Dispose();
        }
        Array.Clear(_layers);
    }
}
