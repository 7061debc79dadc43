using Microsoft.Extensions.Logging;

namespace SafeAlign.Pipeline;

/// <summary>Log messages of the Pipeline layer (event ids 1900–1999).</summary>
internal static partial class Log
{
    [LoggerMessage(1900, LogLevel.Information, "{Stage} ({Implementation}): reused from {Folder}")]
    public static partial void StageReused(ILogger logger, PipelineStage stage, string implementation, string folder);

    [LoggerMessage(1901, LogLevel.Information, "{Stage} ({Implementation}): done in {Seconds:F1} s")]
    public static partial void StageDone(ILogger logger, PipelineStage stage, string implementation, double seconds);

    [LoggerMessage(1902, LogLevel.Information, "{Label} model: HS {HarmfulScore}, over-refusal {OverRefusal}, FA {Accuracy}")]
    public static partial void Measured(ILogger logger, string label, string harmfulScore, string overRefusal, string accuracy);
}
