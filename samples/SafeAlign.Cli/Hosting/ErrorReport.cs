using SafeAlign.Pipeline;
using System.Reflection;
using Microsoft.Extensions.Logging;
using SafeAlign.Data;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Models.Safetensors;
using SafeAlign.Scoring;
using SafeAlign.Tokenization;
using SafeAlign.Tokenization.Templates;

namespace SafeAlign.Cli.Hosting;

/// <summary>Maps a failure to its exit code and writes one line a user can act on to stderr.</summary>
public static class ErrorReport
{
    /// <summary>Whether <paramref name="e"/> says an input file or folder is missing or malformed (exit code 3).</summary>
    public static bool IsBadInput(Exception e) => e is InputFileException or DataFormatException or ModelLoadException or ModelConfigException
        or SafetensorsFormatException or TokenizerFormatException or TokenMaskMismatchException or TokenMaskFormatException
        or PeftAdapterException or ChatTemplateNotRecognizedException or PipelineRunException or FileNotFoundException or DirectoryNotFoundException;

    /// <summary>The exit code for <paramref name="e"/>.</summary>
    /// <param name="e">The failure.</param>
    /// <param name="cancellationToken">The command's token: a cancellation it asked for is not a failure.</param>
    public static int ExitCode(Exception e, CancellationToken cancellationToken)
    {
        e = Unwrap(e);
        return e switch
        {
            OperationCanceledException when cancellationToken.IsCancellationRequested => ExitCodes.Cancelled,
            CliUsageException => ExitCodes.Usage,
            _ when IsBadInput(e) => ExitCodes.BadInput,
            ArgumentException => ExitCodes.Usage,
            _ => ExitCodes.Failure,
        };
    }

    /// <summary>Writes the message for <paramref name="e"/> to <paramref name="error"/> and returns its exit code.</summary>
    public static int Write(Exception e, TextWriter error, ILogger? logger, string command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(error);
        e = Unwrap(e);
        if (logger is not null)
            Log.Failed(logger, command, e);
        int code = ExitCode(e, cancellationToken);
        string message = code switch
        {
            ExitCodes.Cancelled => "cancelled",
            ExitCodes.Usage => $"invalid arguments or settings: {e.Message}",
            ExitCodes.BadInput => $"bad input: {e.Message}",
            _ => $"{e.GetType().Name}: {e.Message} (run with --log-level Debug for the stack trace)",
        };
        error.WriteLine($"safealign {command}: {message}");
        return code;
    }

    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException { InnerExceptions.Count: 1 } a:
                    e = a.InnerExceptions[0];
                    continue;
                case TargetInvocationException { InnerException: { } inner }:
                    e = inner;
                    continue;
                default:
                    return e;
            }
        }
    }
}
