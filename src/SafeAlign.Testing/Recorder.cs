namespace SafeAlign.Testing;

/// <summary>A thread-safe list of the requests a stage double received, read as snapshots.</summary>
internal sealed class Recorder<T>
{
    private readonly List<T> _items = [];

    public void Add(T item)
    {
        lock (_items)
            _items.Add(item);
    }

    public IReadOnlyList<T> Snapshot()
    {
        lock (_items)
            return [.. _items];
    }
}
