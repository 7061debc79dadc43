using Microsoft.Extensions.Logging;

namespace SafeAlign.Reporting;

/// <summary>Log messages of the Reporting project (event ids 2000–2049).</summary>
internal static partial class Log
{
    [LoggerMessage(2000, LogLevel.Information, "Wrote chart '{Title}' to {Files}")]
    public static partial void ChartWritten(ILogger logger, string title, string files);

    [LoggerMessage(2001, LogLevel.Warning, "Font '{Requested}' is not installed; charts use '{Fallback}'")]
    public static partial void FontFallback(ILogger logger, string requested, string fallback);

    [LoggerMessage(2002, LogLevel.Information, "Skipped chart '{Title}': {Reason}")]
    public static partial void ChartSkipped(ILogger logger, string title, string reason);
}
