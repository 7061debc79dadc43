using System.Diagnostics;

namespace SafeAlign.Selection;

/// <summary>
/// Keeps a uniformly random subset of the alignment set: the baseline a learned selector must beat at the same
/// budget (Pharmacist compares against it).
/// </summary>
public sealed class RandomSelector : IAlignmentDataSelector
{
    /// <summary>The name the random selector is registered under.</summary>
    public const string SelectorName = "random";

    private readonly RandomSelectorOptions _options;

    /// <summary>Creates the selector.</summary>
    /// <param name="options">Settings; defaults when null.</param>
    public RandomSelector(RandomSelectorOptions? options = null)
    {
        _options = options ?? new RandomSelectorOptions();
        _options.Validate();
    }

    /// <summary>The selector's settings.</summary>
    public RandomSelectorOptions Options => _options;

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
        int keep = _options.KeepCount(count);
        var order = Enumerable.Range(0, count).ToArray();
        new Random(unchecked((int)_options.Seed)).Shuffle(order);
        var scores = new double[count];
        for (int rank = 0; rank < count; rank++)
            scores[order[rank]] = count - rank; // the draw order is the ranking
        var kept = order.Take(keep).Order().ToList();
        progress?.Report($"random: kept {keep} of {count}");
        return Task.FromResult(new AlignmentSelection(Name, kept, scores, clock.Elapsed));
    }
}
