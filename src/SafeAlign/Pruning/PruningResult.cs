namespace SafeAlign.Pruning;

/// <summary>The outcome of a pruning.</summary>
/// <param name="Pruner">The pruner's name.</param>
/// <param name="PrunedWeights">How many weights were set to zero.</param>
/// <param name="ConsideredWeights">How many weights were candidates.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record PruningResult(string Pruner, long PrunedWeights, long ConsideredWeights, TimeSpan Elapsed);
