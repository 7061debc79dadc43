using Microsoft.Extensions.Logging;

namespace SafeAlign.Pruning;

/// <summary>Log messages of the Pruning layer (event ids 1800–1899).</summary>
internal static partial class Log
{
    [LoggerMessage(1800, LogLevel.Information, "{Pruner}: calibrated on {Samples} samples ({Tokens} tokens) in {Seconds:F2} s")]
    public static partial void Calibrated(ILogger logger, string pruner, long samples, long tokens, double seconds);

    [LoggerMessage(1801, LogLevel.Information, "{Pruner}: zeroed {Pruned} of {Considered} weights in {Matrices} matrices (scoring and masking {Seconds:F3} s)")]
    public static partial void Pruned(ILogger logger, string pruner, long pruned, long considered, int matrices, double seconds);

    [LoggerMessage(1802, LogLevel.Warning, "{Pruner}: targeted projections without an adapter are skipped: {Projections}")]
    public static partial void TargetsWithoutAdapter(ILogger logger, string pruner, string projections);

    [LoggerMessage(1803, LogLevel.Debug, "{Parameter}: zeroed {PerRow} of {Columns} per row, score mean {ScoreMean:G4}, pruned mean {PrunedMean:G4}")]
    public static partial void MatrixPruned(ILogger logger, string parameter, long perRow, long columns, double scoreMean, double prunedMean);
}
