using Microsoft.Extensions.Logging;

namespace SafeAlign.Cli.Hosting;

/// <summary>Log messages of the command-line tool (event ids 9000–9099).</summary>
internal static partial class Log
{
    [LoggerMessage(9000, LogLevel.Information, "safealign {Command}: started")]
    public static partial void Started(ILogger logger, string command);

    [LoggerMessage(9001, LogLevel.Information, "safealign {Command}: done in {Seconds:F1} s")]
    public static partial void Finished(ILogger logger, string command, double seconds);

    [LoggerMessage(9002, LogLevel.Debug, "safealign {Command} failed")]
    public static partial void Failed(ILogger logger, string command, Exception exception);

    [LoggerMessage(9003, LogLevel.Information, "Wrote {Path}")]
    public static partial void Wrote(ILogger logger, string path);

    [LoggerMessage(9004, LogLevel.Information, "Loaded adapter {Folder} (r {Rank}, alpha {Alpha}){Merged}")]
    public static partial void AdapterLoaded(ILogger logger, string folder, int rank, double alpha, string merged);

    [LoggerMessage(9005, LogLevel.Debug, "{Stage} {Name}: {Message}")]
    public static partial void StageProgress(ILogger logger, string stage, string name, string message);

    [LoggerMessage(9006, LogLevel.Information, "Read {Count} rows from {File}")]
    public static partial void RowsRead(ILogger logger, int count, string file);
}
