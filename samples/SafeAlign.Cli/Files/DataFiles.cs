using Microsoft.Extensions.Logging;
using SafeAlign.Cli.Hosting;
using SafeAlign.Data;

namespace SafeAlign.Cli.Files;

/// <summary>
/// Reads the tool's input files through the library's <see cref="DataLoader"/> (JSON Lines, JSON arrays, CSV, TSV; the
/// container chosen from the extension) and the row formats beside it (<see cref="SafetyRowFormat"/>, ...). A missing or empty
/// file is an <see cref="InputFileException"/> naming the option; a bad row is the loader's <see cref="DataFormatException"/>
/// naming file, line and field.
/// </summary>
/// <param name="loader">The loader (fails on the first bad row).</param>
/// <param name="logger">Receives one line per file read.</param>
/// <param name="cancellationToken">Stops a long read.</param>
public sealed class DataFiles(DataLoader loader, ILogger logger, CancellationToken cancellationToken)
{
    /// <summary>Harmful or refusal rows (<see cref="SafetyRowFormat"/>).</summary>
    /// <param name="option">The option that named the file, for messages.</param>
    /// <param name="path">The file.</param>
    /// <param name="safeWhenUnlabelled">IsSafe of a chat row without is_safe.</param>
    public IReadOnlyList<SafetyExample> Safety(string option, string path, bool safeWhenUnlabelled) => Load(option, path, new SafetyRowFormat(safeWhenUnlabelled));

    /// <summary>Alignment rows with their optional quality labels.</summary>
    public IReadOnlyList<LabelledAlignmentRow> Alignment(string option, string path) => Load(option, path, new AlignmentRowFormat());

    /// <summary>Benign prompt → helpful rows, as the safe examples <see cref="AlignmentData.Benign"/> holds.</summary>
    public IReadOnlyList<SafetyExample> Benign(string option, string path) => Safety(option, path, safeWhenUnlabelled: true);

    /// <summary>Task rows with gold answers; <paramref name="task"/> overrides their task name.</summary>
    public IReadOnlyList<TaskExample> Tasks(string option, string path, string? task = null) => Load(option, path, new TaskRowFormat(task));

    /// <summary>User fine-tuning rows.</summary>
    public IReadOnlyList<InstructionRow> Instructions(string option, string path) => Load(option, path, new InstructionRowFormat());

    /// <summary>Prompts.</summary>
    public IReadOnlyList<string> Prompts(string option, string path) => Load(option, path, new PromptFormat());

    /// <summary>
    /// Alignment data from the files the world exports (or the user's own): the alignment set and any of its optional companions.
    /// </summary>
    public AlignmentData AlignmentData(IReadOnlyList<SafetyExample> safety, string? benign = null, string? utility = null, string? harmful = null, string? validation = null) => new()
    {
        Safety = safety,
        Benign = benign is null ? [] : Benign("--benign", benign),
        Utility = utility is null ? [] : Tasks("--utility", utility),
        Harmful = harmful is null ? [] : Safety("--harmful", harmful, safeWhenUnlabelled: false),
        Validation = validation is null ? [] : Safety("--validation", validation, safeWhenUnlabelled: true),
    };

    private IReadOnlyList<T> Load<T>(string option, string path, IDataFormat<T> format)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new InputFileException(path, Directory.Exists(path) ? $"{option} expects a data file; this is a folder" : $"{option}: file not found");
        var rows = loader.Load(path, format, cancellationToken).Examples;
        if (rows.Count == 0)
            throw new InputFileException(path, $"{option}: the file has no rows");
        Log.RowsRead(logger, rows.Count, path);
        return rows;
    }
}
