using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using SafeAlign.Cli.Files;
using SafeAlign.Data;
using SafeAlign.Defenses;
using SafeAlign.DependencyInjection;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Selection;
using SafeAlign.Tokenization;
using SafeAlign.Training;

namespace SafeAlign.Cli.Hosting;

/// <summary>
/// One command's run: its parsed options, the settings (file, then <c>--seed</c>/<c>--device</c>/<c>--threads</c>), logging to
/// stderr, the stage services built by <c>services.AddSafeAlign(...)</c>, model/tokenizer/adapter loading with input errors that
/// name the path, data files, and result output. A new command reads what it needs from here and adds only its own logic.
/// </summary>
public sealed class CommandContext : IDisposable
{
    private readonly CommandHost _host;
    private ServiceProvider? _services;

    /// <summary>Creates the context; reads the settings file and applies the common options.</summary>
    /// <exception cref="InputFileException">The settings file is missing or malformed.</exception>
    public CommandContext(string command, ParseResult parse, CommandHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parse);
        _host = host ?? throw new ArgumentNullException(nameof(host));
        Command = command;
        Parse = parse;
        CancellationToken = cancellationToken;
        var common = host.Common;
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(builder => builder
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; o.ColorBehavior = LoggerColorBehavior.Disabled; })
            .SetMinimumLevel(parse.GetValue(common.LogLevel)));
        Logger = LoggerFactory.CreateLogger("SafeAlign.Cli");
        try
        {
            string? settingsPath = parse.GetValue(common.Settings);
            Seed = parse.GetValue(common.Seed);
            Settings = WithCommandLine(settingsPath is null ? new CliSettings() : SettingsFile.Load(settingsPath));
            Data = new DataFiles(new DataLoader(logger: LoggerFactory.CreateLogger<DataLoader>()), Logger, cancellationToken);
        }
        catch
        {
            LoggerFactory.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Replaces the settings with those of <paramref name="path"/> (a command whose own option names a settings file, such as
    /// <c>run --config</c>), with the command-line options applied over them; only before the first use of <see cref="Services"/>.
    /// </summary>
    /// <exception cref="InputFileException">The file is missing or malformed.</exception>
    public void UseSettingsFile(string path)
    {
        if (_services is not null)
            throw new InvalidOperationException("The settings cannot change once the stage services were built.");
        Settings = WithCommandLine(SettingsFile.Load(path));
    }

    /// <summary>The command's name (for messages).</summary>
    public string Command { get; }

    /// <summary>The parsed command line.</summary>
    public ParseResult Parse { get; }

    /// <summary>Stops the command (Ctrl+C).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Console logging to stderr at the level <c>--log-level</c> chose.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>The tool's own logger.</summary>
    public ILogger Logger { get; }

    /// <summary>The settings in force; change stage settings only before the first <see cref="Stage{T}"/> call.</summary>
    public CliSettings Settings { get; private set; }

    /// <summary>The <c>--seed</c> given, if any (already applied to every stage's settings).</summary>
    public long? Seed { get; }

    /// <summary>Reads input data files.</summary>
    public DataFiles Data { get; }

    /// <summary>Where results go (stdout).</summary>
    public TextWriter Out => _host.Out;

    /// <summary>Standard input.</summary>
    public TextReader In => _host.In;

    /// <summary>The stage services, built on first use from <see cref="Settings"/>.</summary>
    public IServiceProvider Services => _services ??= BuildServices();

    /// <summary>The value of <paramref name="option"/>.</summary>
    public T GetValue<T>(Option<T> option) => Parse.GetValue(option)!;

    /// <summary>The stage registered as <typeparamref name="T"/> under <paramref name="name"/> (e.g. an <see cref="IAlignmentDefense"/> "vaccine").</summary>
    public T Stage<T>(string name) where T : notnull => Services.GetRequiredKeyedService<T>(name);

    /// <summary>
    /// Loads a Hugging Face model folder on the configured device, then each adapter folder in order: every adapter is merged
    /// into the weights except, when <paramref name="keepLastAdapter"/>, the last, which stays attached.
    /// </summary>
    /// <exception cref="InputFileException">A folder is missing or unusable; the message names it.</exception>
    public CausalLM LoadModel(string folder, IReadOnlyList<string>? adapters = null, bool keepLastAdapter = false)
    {
        RequireFolder("--model", folder);
        CausalLM model = Named(folder, () => CausalLM.FromPretrained(folder, new ModelOptions { Device = Settings.SafeAlign.Device }, LoggerFactory.CreateLogger<CausalLM>()));
        try
        {
            adapters ??= [];
            for (int i = 0; i < adapters.Count; i++)
            {
                string adapter = adapters[i];
                RequireFolder("--adapter", adapter);
                var config = Named(adapter, () => PeftAdapter.Load(model, adapter));
                bool merge = !(keepLastAdapter && i == adapters.Count - 1);
                if (merge)
                    model.MergeAndDetachLora();
                Log.AdapterLoaded(Logger, adapter, config.Rank, config.Alpha, merge ? ", merged" : ", attached");
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Loads the tokenizer of a Hugging Face model folder.</summary>
    /// <exception cref="InputFileException">The folder is missing or its tokenizer is unusable.</exception>
    public HfTokenizer LoadTokenizer(string folder)
    {
        RequireFolder("--model", folder);
        return Named(folder, () => HfTokenizer.FromFolder(folder, LoggerFactory.CreateLogger<HfTokenizer>()));
    }

    /// <summary>Runs synchronous tensor work on a dedicated thread (dispose scopes are per thread), honouring cancellation.</summary>
    public Task<T> RunAsync<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>A progress sink that logs each message synchronously (no posting to another thread after the command ends).</summary>
    public IProgress<string> Progress(string stage, string name) => new SynchronousProgress<string>(message => Log.StageProgress(Logger, stage, name, message));

    /// <summary>Writes a command's result object to stdout, indented.</summary>
    public void WriteResult(JsonNode result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Out.WriteLine(result.ToJsonString(JsonFiles.Indented));
        Out.Flush();
    }

    /// <summary>Logs that <paramref name="path"/> was written and returns its full path (for result objects).</summary>
    public string Wrote(string path)
    {
        string full = Path.GetFullPath(path);
        Log.Wrote(Logger, full);
        return full;
    }

    /// <summary>Disposes the services and flushes the logs.</summary>
    public void Dispose()
    {
        _services?.Dispose();
        LoggerFactory.Dispose();
    }

    /// <summary>Sets <paramref name="seed"/> on every stage's settings, the fine-tuning job and the world.</summary>
    public static void ApplySeed(CliSettings settings, long seed)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var o = settings.SafeAlign;
        foreach (AlignmentDefenseOptions defense in new AlignmentDefenseOptions[] { o.Sft, o.Vaccine, o.TVaccine, o.RepNoise, o.Booster })
            defense.Seed = seed;
        foreach (SelectorOptions selector in new SelectorOptions[] { o.RandomSelector, o.Pharmacist, o.LossSelector, o.GradientNormSelector })
            selector.Seed = seed;
        o.Toss.Seed = seed;
        o.TossPro.Seed = seed;
        o.RandomTokens.Seed = seed;
        o.Antidote.Seed = seed;
        o.Pipeline.Finetuning.Seed = seed;
        settings.World.Seed = seed;
    }

    // --seed, --device and --threads apply over whatever the settings file says.
    private CliSettings WithCommandLine(CliSettings settings)
    {
        var common = _host.Common;
        if (Seed is long seed)
            ApplySeed(settings, seed);
        if (Parse.GetValue(common.Device) is { } device)
            settings.SafeAlign.Device.Device = device.ToLowerInvariant();
        if (Parse.GetValue(common.Threads) is int threads)
            settings.SafeAlign.Device.Threads = threads;
        return settings;
    }

    /// <summary>Throws <see cref="InputFileException"/> unless <paramref name="folder"/> is a folder.</summary>
    public static void RequireFolder(string option, string folder)
    {
        if (Directory.Exists(folder))
            return;
        throw new InputFileException(folder, File.Exists(folder) ? $"{option} expects a folder; this is a file" : $"{option}: folder not found");
    }

    // Input errors from the library name a file inside the folder, or nothing; say which folder the user passed.
    private static T Named<T>(string path, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (Exception e) when (ErrorReport.IsBadInput(e) && e is not InputFileException && !e.Message.Contains(path, StringComparison.Ordinal))
        {
            throw new InputFileException(path, e.Message, e);
        }
    }

    private ServiceProvider BuildServices()
    {
        Settings.Validate();
        var chosen = Settings.SafeAlign;
        var services = new ServiceCollection();
        services.AddSingleton(LoggerFactory);
        services.AddSafeAlign(options =>
        {
            foreach (var property in typeof(SafeAlignOptions).GetProperties().Where(p => p.CanWrite))
                property.SetValue(options, property.GetValue(chosen));
        });
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }
}
