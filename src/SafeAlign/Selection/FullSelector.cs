using System.Diagnostics;

namespace SafeAlign.Selection;

/// <summary>
/// Keeps every row: the "no selection" baseline behind the selector interface, so a grid can name it like any other
/// selector ("full") and its rows report the same columns. Every candidate scores 0.
/// </summary>
public sealed class FullSelector : IAlignmentDataSelector
{
    /// <summary>The name the full-set baseline is registered under.</summary>
    public const string SelectorName = "full";

    /// <inheritdoc />
    public string Name => SelectorName;

    /// <inheritdoc />
    public Task<AlignmentSelection> SelectAsync(SelectionRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        int count = request.Data.Safety.Count;
        progress?.Report($"full: kept {count} of {count}");
        return Task.FromResult(new AlignmentSelection(Name, Enumerable.Range(0, count).ToList(), new double[count], clock.Elapsed));
    }
}
