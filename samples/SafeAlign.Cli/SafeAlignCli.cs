using System.CommandLine;
using System.CommandLine.Invocation;
using SafeAlign.Cli.Commands;
using SafeAlign.Cli.Hosting;

namespace SafeAlign.Cli;

/// <summary>
/// The <c>safealign</c> command line. <see cref="InvokeAsync"/> is the whole tool (Program.cs only wires the console and
/// Ctrl+C to it), so tests run it in-process with their own streams.
/// </summary>
public static class SafeAlignCli
{
    /// <summary>Builds the command tree; each command writes results to <paramref name="stdout"/> and messages to <paramref name="stderr"/>.</summary>
    public static RootCommand CreateRootCommand(TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var host = new CommandHost(stdout, stderr, stdin, new CommonOptions());
        var root = new RootCommand(
            "SafeAlign: safety alignment for fine-tuned LLMs on Hugging Face model folders and JSONL/CSV data. " +
            "Exit codes: 0 ok, 1 failure, 2 usage, 3 bad input file, 130 cancelled.");
        host.Common.AddTo(root);
        foreach (var command in Commands(host))
            root.Subcommands.Add(command);
        return root;
    }

    /// <summary>Parses <paramref name="args"/> and runs the command.</summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where error messages and usage errors go (logs go to the process's stderr).</param>
    /// <param name="stdin">Where <c>tokenize</c> and <c>-</c> inputs are read from; empty when null.</param>
    /// <param name="cancellationToken">Cancels the command (Ctrl+C); it then exits with <see cref="ExitCodes.Cancelled"/>.</param>
    /// <returns>The exit code (<see cref="ExitCodes"/>).</returns>
    public static async Task<int> InvokeAsync(string[] args, TextWriter stdout, TextWriter stderr, TextReader? stdin = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var root = CreateRootCommand(stdout, stderr, stdin ?? TextReader.Null);
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            foreach (var error in parse.Errors)
                await stderr.WriteLineAsync($"safealign: {error.Message}").ConfigureAwait(false);
            await stderr.WriteLineAsync("Run 'safealign --help' (or 'safealign COMMAND --help') for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        var configuration = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false,
            // The host (Program.cs) turns Ctrl+C into the token; the parser must not install its own handler in-process.
            ProcessTerminationTimeout = null,
        };
        return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }

    // One entry per command; a new command is a file under Commands/ and a line here.
    private static IEnumerable<Command> Commands(CommandHost host) =>
    [
        WorldCommand.Create(host),
        SelectCommand.Create(host),
        AlignCommand.Create(host),
        ScoreTokensCommand.Create(host),
        FinetuneCommand.Create(host),
        PruneCommand.Create(host),
        EvaluateCommand.Create(host),
        TokenizeCommand.Create(host),
        ForwardCommand.Create(host),
        RunCommand.Create(host),
    ];
}
