using Microsoft.Extensions.Logging;

namespace SafeAlign.Chat;

/// <summary>Log messages of the Chat layer (event ids 2100–2199).</summary>
internal static partial class Log
{
    [LoggerMessage(2100, LogLevel.Debug, "Chat response: {InputTokens} prompt tokens, {OutputTokens} generated, finish {Reason}, {Milliseconds} ms")]
    public static partial void Responded(ILogger logger, int inputTokens, int outputTokens, string reason, long milliseconds);
}
