using Microsoft.Extensions.Logging;

namespace SafeAlign.Scoring;

/// <summary>Log messages of the Scoring layer (event ids 1800–1849).</summary>
internal static partial class Log
{
    [LoggerMessage(1800, LogLevel.Information, "{Scorer}: trained the {Reference} reference on {Examples} examples in {Steps} steps ({Seconds:F1} s), final loss {Loss:F4}")]
    public static partial void ReferenceTrained(ILogger logger, string scorer, string reference, int examples, int steps, double seconds, double loss);

    [LoggerMessage(1801, LogLevel.Information, "{Scorer}: loaded the {Reference} reference adapter from {Folder}")]
    public static partial void ReferenceLoaded(ILogger logger, string scorer, string reference, string folder);

    [LoggerMessage(1802, LogLevel.Information, "{Scorer}: scored {Tokens} response tokens of {Samples} samples with the {Reference} reference in {Seconds:F1} s, mean loss {MeanLoss:F4}")]
    public static partial void ReferenceScored(ILogger logger, string scorer, string reference, long tokens, int samples, double seconds, double meanLoss);

    [LoggerMessage(1803, LogLevel.Information, "{Scorer}: TOSS-Pro round {Round}: {Added} samples from the ranking, {New} of them new; harmful reference now {Size} examples")]
    public static partial void ProRound(ILogger logger, string scorer, int round, int added, int @new, int size);

    [LoggerMessage(1804, LogLevel.Information, "{Scorer}: discarded {Discarded} of {Tokens} response tokens in {Seconds:F1} s")]
    public static partial void Masked(ILogger logger, string scorer, long discarded, long tokens, double seconds);
}
