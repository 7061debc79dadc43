namespace SafeAlign.Pruning;

/// <summary>
/// The outcome of a pruning: totals, one <see cref="PrunedMatrix"/> per pruned weight matrix, the time split and, when the
/// pruner records it, the mask. Dispose it to free the mask's tensors.
/// </summary>
/// <param name="Pruner">The pruner's name.</param>
/// <param name="PrunedWeights">How many weights were set to zero.</param>
/// <param name="ConsideredWeights">How many weights were candidates.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record PruningResult(string Pruner, long PrunedWeights, long ConsideredWeights, TimeSpan Elapsed) : IDisposable
{
    /// <summary>Per pruned matrix, in model order: counts and score statistics.</summary>
    public IReadOnlyList<PrunedMatrix> Matrices { get; init; } = [];

    /// <summary>Calibration sequences that ran through the model (0 for data-free pruners).</summary>
    public long CalibrationSamples { get; init; }

    /// <summary>Real (unpadded) calibration tokens that ran through the model.</summary>
    public long CalibrationTokens { get; init; }

    /// <summary>Wall time of the calibration forward passes.</summary>
    public TimeSpan CalibrationTime { get; init; }

    /// <summary>Wall time of scoring, per-row selection and masking.</summary>
    public TimeSpan ScoringTime { get; init; }

    /// <summary>Which entries were zeroed (per-row column indices, by parameter name); null when the pruner was told not to keep them.</summary>
    public PruningMasks? Masks { get; init; }

    /// <summary>Disposes <see cref="Masks"/>.</summary>
    public void Dispose() => Masks?.Dispose();
}
