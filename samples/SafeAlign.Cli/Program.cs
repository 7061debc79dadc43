// The `safealign` tool: see README.md beside this file, or run `safealign --help`.
using SafeAlign.Cli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl+C: cancel cooperatively (stages stop between steps, nothing half-written is left); a second one kills.
    e.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
};
return await SafeAlignCli.InvokeAsync(args, Console.Out, Console.Error, Console.In, cancellation.Token);
