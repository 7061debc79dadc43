namespace SafeAlign.Selection;

/// <summary>
/// Chooses which rows of an alignment set to align on (Pharmacist's stage): ranks the candidate rows of
/// <see cref="SelectionRequest.Data"/>'s alignment set and keeps a subset.
/// </summary>
public interface IAlignmentDataSelector
{
    /// <summary>The name the selector is registered under (e.g. "pharmacist", "random").</summary>
    string Name { get; }

    /// <summary>Selects alignment rows.</summary>
    /// <param name="request">Model, tokenizer and the data to select from.</param>
    /// <param name="progress">Receives progress messages.</param>
    /// <param name="cancellationToken">Stops the selection.</param>
    /// <returns>The indices kept, into <c>request.Data.Safety</c>, and a score per candidate.</returns>
    Task<AlignmentSelection> SelectAsync(SelectionRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default);
}
