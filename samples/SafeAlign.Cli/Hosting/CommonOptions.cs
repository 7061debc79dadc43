using System.CommandLine;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace SafeAlign.Cli.Hosting;

/// <summary>
/// The options every command takes (declared once on the root command, recursive): device, threads, seed, settings file and log
/// level; plus factories for the option shapes commands repeat (input files, ratios, stage names).
/// </summary>
public sealed partial class CommonOptions
{
    /// <summary>Creates the options; one set per command tree.</summary>
    public CommonOptions()
    {
        Device.Validators.Add(result =>
        {
            string? value = result.GetValueOrDefault<string?>();
            if (value is not null && !DevicePattern().IsMatch(value))
                result.AddError($"--device '{value}' is not a device; expected auto, cpu, cuda or cuda:N.");
        });
        Threads.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1 and var n)
                result.AddError($"--threads is {n}; expected a positive count.");
        });
    }

    /// <summary><c>--device auto|cpu|cuda|cuda:N</c>: where tensors live (default: the settings file's, else auto).</summary>
    public Option<string?> Device { get; } = new("--device")
    {
        Description = "Device: auto (CUDA when present), cpu, cuda or cuda:N. Default: the settings file's, else auto.",
        HelpName = "auto|cpu|cuda",
        Recursive = true,
    };

    /// <summary><c>--threads N</c>: libtorch CPU threads (default all cores).</summary>
    public Option<int?> Threads { get; } = new("--threads") { Description = "CPU threads libtorch uses (default: all cores).", Recursive = true };

    /// <summary><c>--seed N</c>: the seed of every random step of the command (default: each stage's own default).</summary>
    public Option<long?> Seed { get; } = new("--seed")
    {
        Description = "Seed of every random step (data order, adapter init, sampling, the world). Default: each stage's default (world: 1).",
        Recursive = true,
    };

    /// <summary><c>--settings FILE</c>: JSON overriding any stage setting (see README).</summary>
    public Option<string?> Settings { get; } = new("--settings")
    {
        Description = "JSON file of settings, e.g. {\"SafeAlign\": {\"Sft\": {\"Epochs\": 1}, \"Pipeline\": {\"Finetuning\": {\"LearningRate\": 1e-4}}}}.",
        HelpName = "FILE",
        Recursive = true,
    };

    /// <summary><c>--log-level</c>: the least severe log level written to stderr (default Information).</summary>
    public Option<LogLevel> LogLevel { get; } = new("--log-level")
    {
        Description = "Least severe log level written to stderr: Trace, Debug, Information, Warning, Error, None.",
        DefaultValueFactory = _ => Microsoft.Extensions.Logging.LogLevel.Information,
        Recursive = true,
    };

    /// <summary>Adds the common options to the root command.</summary>
    public void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Options.Add(Device);
        root.Options.Add(Threads);
        root.Options.Add(Seed);
        root.Options.Add(Settings);
        root.Options.Add(LogLevel);
    }

    /// <summary>A path option (file or folder), required or not.</summary>
    public static Option<string> Path(string name, string description, bool required = true, string helpName = "FILE") =>
        new(name) { Description = description, Required = required, HelpName = helpName };

    /// <summary>An optional path option.</summary>
    public static Option<string?> OptionalPath(string name, string description, string helpName = "FILE") =>
        new(name) { Description = description, HelpName = helpName };

    /// <summary>A share in (0, 1] (or [0, 1] when <paramref name="allowZero"/>); null when not given.</summary>
    public static Option<double?> Ratio(string name, string description, bool allowZero = false)
    {
        var option = new Option<double?>(name) { Description = description, HelpName = "R" };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is double r && !(allowZero ? r >= 0 && r <= 1 : r > 0 && r <= 1))
                result.AddError($"{name} is {r}; expected a value in {(allowZero ? "[0, 1]" : "(0, 1]")}.");
        });
        return option;
    }

    /// <summary>A required stage name, accepted only from <paramref name="names"/>.</summary>
    public static Option<string> StageName(string name, string description, IReadOnlyList<string> names)
    {
        var option = new Option<string>(name) { Description = $"{description}: {string.Join(", ", names)}.", Required = true, HelpName = "NAME" };
        option.AcceptOnlyFromAmong([.. names]);
        return option;
    }

    /// <summary>Adapter folders applied in order on top of the model (<c>--adapter A --adapter B</c>).</summary>
    public static Option<string[]> Adapters(string description) => new("--adapter")
    {
        Description = description,
        HelpName = "DIR",
        Arity = ArgumentArity.ZeroOrMore,
        DefaultValueFactory = _ => [],
    };

    [GeneratedRegex("^(auto|cpu|cuda(:[0-9]+)?)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DevicePattern();
}
