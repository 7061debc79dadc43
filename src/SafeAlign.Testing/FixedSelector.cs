using System.Diagnostics;
using SafeAlign.Selection;

namespace SafeAlign.Testing;

/// <summary>
/// An <see cref="IAlignmentDataSelector"/> that keeps the rows it was told to, for tests that need a selector but not
/// the cost of one: given indices (<see cref="FixedSelector(IEnumerable{int}, string)"/>) or the first k rows
/// (<see cref="First"/>). Kept rows score 1, the others 0. Records every request.
/// </summary>
public sealed class FixedSelector : IAlignmentDataSelector
{
    /// <summary>The default name.</summary>
    public const string DefaultName = "fixed";

    private readonly int[]? _indices;
    private readonly int _first;
    private readonly Recorder<SelectionRequest> _requests = new();

    /// <summary>A selector that keeps exactly <paramref name="indices"/> (any order, duplicates ignored).</summary>
    /// <param name="indices">Rows to keep, indices into the request's <c>Data.Safety</c>.</param>
    /// <param name="name">The name it reports (default "fixed").</param>
    /// <exception cref="ArgumentException">An index is negative, or the name is blank.</exception>
    public FixedSelector(IEnumerable<int> indices, string name = DefaultName)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _indices = [.. indices.Distinct().Order()];
        if (_indices.Length > 0 && _indices[0] < 0)
            throw new ArgumentException($"FixedSelector got index {_indices[0]}; indices must be 0 or more.", nameof(indices));
        Name = name;
    }

    private FixedSelector(int first, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _first = first;
        Name = name;
    }

    /// <summary>A selector that keeps the first <paramref name="count"/> rows (all of them when there are fewer).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The count is negative.</exception>
    public static FixedSelector First(int count, string name = DefaultName) => new(count, name);

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Every request received, in order.</summary>
    public IReadOnlyList<SelectionRequest> Requests => _requests.Snapshot();

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The request is invalid, or a fixed index is beyond the alignment set.</exception>
    public Task<AlignmentSelection> SelectAsync(SelectionRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        int count = request.Data.Safety.Count;
        int[] kept = _indices ?? [.. Enumerable.Range(0, Math.Min(_first, count))];
        if (kept.Length > 0 && kept[^1] >= count)
            throw new ArgumentException($"FixedSelector '{Name}' keeps row {kept[^1]} but the alignment set has {count} rows.", nameof(request));
        _requests.Add(request);
        var scores = new double[count];
        foreach (int i in kept)
            scores[i] = 1;
        progress?.Report($"{Name}: kept {kept.Length} of {count}");
        return Task.FromResult(new AlignmentSelection(Name, kept, scores, clock.Elapsed));
    }
}
