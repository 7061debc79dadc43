using System.CommandLine;
using System.Diagnostics;

namespace SafeAlign.Cli.Hosting;

/// <summary>What every command needs to be built: the standard streams and the common options.</summary>
/// <param name="Out">Where results go (stdout).</param>
/// <param name="Error">Where error messages go (stderr; logs go to the process's stderr through the console logger).</param>
/// <param name="In">Where <c>tokenize</c> and <c>-</c> inputs are read from (stdin).</param>
/// <param name="Common">The common options.</param>
public sealed record CommandHost(TextWriter Out, TextWriter Error, TextReader In, CommonOptions Common)
{
    /// <summary>
    /// Sets <paramref name="command"/>'s action: build a <see cref="CommandContext"/>, run <paramref name="body"/>, and turn
    /// any exception into one message on stderr and an exit code (<see cref="ErrorReport"/>).
    /// </summary>
    public void SetAction(Command command, Func<CommandContext, Task> body)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(body);
        command.SetAction(async (parse, cancellationToken) =>
        {
            CommandContext? context = null;
            var clock = Stopwatch.StartNew();
            try
            {
                context = new CommandContext(command.Name, parse, this, cancellationToken);
                Log.Started(context.Logger, command.Name);
                await body(context).ConfigureAwait(false);
                Log.Finished(context.Logger, command.Name, clock.Elapsed.TotalSeconds);
                return ExitCodes.Ok;
            }
            catch (Exception e)
            {
                return ErrorReport.Write(e, Error, context?.Logger, command.Name, cancellationToken);
            }
            finally
            {
                context?.Dispose();
            }
        });
    }
}
