namespace SafeAlign.Pruning;

/// <summary>
/// Repairs a model after (possibly harmful) fine-tuning by pruning weights (Antidote's stage). Works in place on
/// <see cref="PruningRequest.Model"/>.
/// </summary>
public interface IPostFinetunePruner
{
    /// <summary>The name the pruner is registered under (e.g. "antidote").</summary>
    string Name { get; }

    /// <summary>Prunes the model.</summary>
    /// <param name="request">The fine-tuned model, its tokenizer and the harmful calibration data.</param>
    /// <param name="progress">Receives progress messages.</param>
    /// <param name="cancellationToken">Stops the pruning before weights change.</param>
    /// <returns>What was pruned.</returns>
    Task<PruningResult> PruneAsync(PruningRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default);
}
