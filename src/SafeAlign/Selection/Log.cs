using Microsoft.Extensions.Logging;

namespace SafeAlign.Selection;

/// <summary>Log messages of the Selection layer (event ids 1600–1699).</summary>
internal static partial class Log
{
    [LoggerMessage(1600, LogLevel.Information, "{Selector}: ranking {Candidates} alignment rows, keeping {Kept}")]
    public static partial void Started(ILogger logger, string selector, int candidates, int kept);

    [LoggerMessage(1601, LogLevel.Information, "{Selector}: epoch {Epoch} step {Step}/{TotalSteps} lower loss {LowerLoss:F4} upper loss {UpperLoss:F4} logit spread {Spread:F4}")]
    public static partial void Progress(ILogger logger, string selector, int epoch, int step, int totalSteps, double lowerLoss, double upperLoss, double spread);

    [LoggerMessage(1602, LogLevel.Information, "{Selector}: kept {Kept} of {Candidates} rows in {Seconds:F1} s")]
    public static partial void Finished(ILogger logger, string selector, int kept, int candidates, double seconds);
}
