using SafeAlign.Data;
using SafeAlign.Evaluation.World;

namespace SafeAlign.Cli.Files;

/// <summary>A user fine-tuning row as the attack builds them (Alpaca format), with the optional ground-truth harm flag.</summary>
/// <param name="Instruction">The instruction (or chat prompt).</param>
/// <param name="Input">The input; null when the instruction stands alone.</param>
/// <param name="Response">The response trained on.</param>
/// <param name="Harmful">The row's <c>harmful</c> field when present (the world's export sets it), else null.</param>
public sealed record InstructionRow(string Instruction, string? Input, string Response, bool? Harmful);

/// <summary>An alignment row with the optional quality label the world's export carries (<c>quality</c>).</summary>
/// <param name="Example">The row.</param>
/// <param name="Quality">Its quality when the file says, else null.</param>
public sealed record LabelledAlignmentRow(SafetyExample Example, AlignmentRowQuality? Quality);

/// <summary>
/// Safety rows: BeaverTails (<c>prompt</c>, <c>response</c>, <c>category</c>, <c>is_safe</c>) through the library's
/// <see cref="BeaverTailsFormat"/>, or plain chat rows (<c>prompt</c>, <c>response</c>) taken as safe or unsafe as the
/// caller says (refusal and benign sets are safe, harmful sets are not).
/// </summary>
/// <param name="safeWhenUnlabelled">IsSafe for a row without <c>is_safe</c>.</param>
public sealed class SafetyRowFormat(bool safeWhenUnlabelled) : IDataFormat<SafetyExample>
{
    private static readonly BeaverTailsFormat WithCategories = new();
    private static readonly BeaverTailsFormat WithoutCategories = new() { CategoryField = null };
    private static readonly ChatFormat Chat = new();

    /// <inheritdoc/>
    public string Name => "safety";

    /// <inheritdoc/>
    public SafetyExample Map(DataRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Has("is_safe"))
            return (row.Has("category") ? WithCategories : WithoutCategories).Map(row);
        var chat = Chat.Map(row);
        return new SafetyExample(chat.Prompt, chat.Response, [], safeWhenUnlabelled);
    }
}

/// <summary>Alignment rows: <see cref="SafetyRowFormat"/> (safe by default) plus the optional <c>quality</c> label.</summary>
public sealed class AlignmentRowFormat : IDataFormat<LabelledAlignmentRow>
{
    private readonly SafetyRowFormat _safety = new(safeWhenUnlabelled: true);

    /// <inheritdoc/>
    public string Name => "alignment";

    /// <inheritdoc/>
    public LabelledAlignmentRow Map(DataRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var example = _safety.Map(row);
        string? quality = row.GetOptionalString("quality");
        if (quality is null)
            return new LabelledAlignmentRow(example, null);
        return QualityNames.TryParse(quality, out var q)
            ? new LabelledAlignmentRow(example, q)
            : throw row.Error("quality", $"'{quality}' is not a quality; expected one of {string.Join(", ", QualityNames.All)}");
    }
}

/// <summary>
/// Task rows with a gold answer, the format chosen per row by its fields: SST-2 (<c>sentence</c>, <c>label</c>), GSM8K
/// (<c>question</c>, <c>answer</c>), Alpaca (<c>instruction</c>, <c>input</c>, <c>output</c>), AG News (<c>text</c>,
/// <c>label</c>), each through the library's format. The task name is <paramref name="task"/> when given, else the row's
/// <c>task</c> field, else the format's name.
/// </summary>
/// <param name="task">Overrides every row's task name (answer matching follows it: sst2, agnews, gsm8k, other = exact).</param>
public sealed class TaskRowFormat(string? task = null) : IDataFormat<TaskExample>
{
    private static readonly Sst2Format Sst2 = new();
    private static readonly Gsm8kFormat Gsm8k = new();
    private static readonly AlpacaFormat Alpaca = new();
    private static readonly AgNewsFormat AgNews = new();

    /// <inheritdoc/>
    public string Name => task ?? "task";

    /// <inheritdoc/>
    public TaskExample Map(DataRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        IDataFormat<TaskExample> format =
            row.Has("sentence") ? Sst2
            : row.Has("question") ? Gsm8k
            : row.Has("instruction") ? Alpaca
            : row.Has("text") ? AgNews
            : throw row.Error(null, "expected the fields of an Alpaca (instruction, input, output), SST-2 (sentence, label), AG News (text, label) or GSM8K (question, answer) row");
        var example = format.Map(row);
        string name = task ?? row.GetOptionalString("task") ?? example.Task;
        return example with { Task = name };
    }
}

/// <summary>
/// User fine-tuning rows: task rows (<see cref="TaskRowFormat"/>) or chat/BeaverTails rows (<c>prompt</c>, <c>response</c>),
/// each with an optional boolean <c>harmful</c> flag.
/// </summary>
public sealed class InstructionRowFormat : IDataFormat<InstructionRow>
{
    private static readonly TaskRowFormat Tasks = new();
    private static readonly ChatFormat Chat = new();

    /// <inheritdoc/>
    public string Name => "instruction";

    /// <inheritdoc/>
    public InstructionRow Map(DataRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        bool? harmful = row.Has("harmful") ? row.GetBoolean("harmful") : null;
        if (row.Has("prompt"))
        {
            var chat = Chat.Map(row);
            return new InstructionRow(chat.Prompt, null, chat.Response, harmful);
        }
        var task = Tasks.Map(row);
        return new InstructionRow(task.Instruction, task.Input.Length == 0 ? null : task.Input, task.Answer, harmful);
    }
}

/// <summary>Prompts only (what <c>evaluate</c> asks): the <c>prompt</c> field, else the <c>instruction</c> field.</summary>
public sealed class PromptFormat : IDataFormat<string>
{
    /// <inheritdoc/>
    public string Name => "prompts";

    /// <inheritdoc/>
    public string Map(DataRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Has("prompt") ? row.GetString("prompt")
            : row.Has("instruction") ? row.GetString("instruction")
            : throw row.Error("prompt", "missing required field (a 'prompt' or 'instruction' field holds the prompt)");
    }
}

/// <summary>The quality labels as the files spell them (snake_case of <see cref="AlignmentRowQuality"/>).</summary>
public static class QualityNames
{
    /// <summary>Every label, in enum order.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Enum.GetValues<AlignmentRowQuality>().Select(Of)];

    /// <summary>The label of <paramref name="quality"/>, e.g. "off_topic".</summary>
    public static string Of(AlignmentRowQuality quality) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(quality.ToString());

    /// <summary>Parses a label (case and underscores ignored).</summary>
    public static bool TryParse(string text, out AlignmentRowQuality quality) =>
        Enum.TryParse(text.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out quality) && Enum.IsDefined(quality) && !int.TryParse(text, out _);
}
