using System.Text.Json.Nodes;
using SafeAlign.Data;
using SafeAlign.Evaluation.World;

namespace SafeAlign.Cli.Files;

/// <summary>
/// Rows as the tool writes them, in the shapes the row formats (<see cref="SafetyRowFormat"/>, <see cref="TaskRowFormat"/>,
/// <see cref="InstructionRowFormat"/>) read back unchanged.
/// </summary>
public static class Rows
{
    /// <summary>A BeaverTails row: prompt, response, category (the example's categories set to true), is_safe; plus quality when known.</summary>
    public static JsonObject Safety(SafetyExample example, AlignmentRowQuality? quality = null)
    {
        ArgumentNullException.ThrowIfNull(example);
        var categories = new JsonObject();
        foreach (string c in example.Categories)
            categories[c] = true;
        var row = new JsonObject
        {
            ["prompt"] = example.Prompt,
            ["response"] = example.Response,
            ["category"] = categories,
            ["is_safe"] = example.IsSafe,
        };
        if (quality is { } q)
            row["quality"] = QualityNames.Of(q);
        return row;
    }

    /// <summary>A chat row: prompt, response (and system when set).</summary>
    public static JsonObject Chat(ChatExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        var row = new JsonObject { ["prompt"] = example.Prompt, ["response"] = example.Response };
        if (example.System is not null)
            row["system"] = example.System;
        return row;
    }

    /// <summary>
    /// A task row in Alpaca shape with its task name (task, instruction, input, output): the world's own instructions survive
    /// the round trip, which the SST-2/AG News column formats (fixed instructions) would not keep.
    /// </summary>
    public static JsonObject Task(TaskExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        return new JsonObject { ["task"] = example.Task, ["instruction"] = example.Instruction, ["input"] = example.Input, ["output"] = example.Answer };
    }

    /// <summary>A user fine-tuning row in Alpaca shape with its harm flag.</summary>
    public static JsonObject Instruction(string instruction, string? input, string response, bool harmful) => new()
    {
        ["instruction"] = instruction, ["input"] = input ?? string.Empty, ["output"] = response, ["harmful"] = harmful,
    };
}
