using System.Text.Json;
using SafeAlign.Cli.Hosting;

namespace SafeAlign.Cli.Files;

/// <summary>Text and token-id inputs of the inspection commands: inline, from a file, or from stdin (<c>-</c>).</summary>
public static class TextInput
{
    /// <summary>
    /// The text of <paramref name="inline"/>, else of <paramref name="file"/> (<c>-</c> = stdin), else of stdin. A single trailing
    /// newline of a file or stdin is dropped (what <c>echo</c> adds); pass the text inline to keep every character.
    /// </summary>
    /// <exception cref="CliUsageException">Both an inline value and a file were given.</exception>
    /// <exception cref="InputFileException">The file does not exist.</exception>
    public static string Read(string? inline, string? file, TextReader stdin, string inlineOption, string fileOption)
    {
        ArgumentNullException.ThrowIfNull(stdin);
        if (inline is not null && file is not null)
            throw new CliUsageException($"{inlineOption} and {fileOption} both give the input; pass one.");
        if (inline is not null)
            return inline;
        string text;
        if (file is null || file == "-")
        {
            text = stdin.ReadToEnd();
        }
        else
        {
            if (!File.Exists(file))
                throw new InputFileException(file, $"{fileOption}: file not found");
            text = File.ReadAllText(file);
        }
        return text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
    }

    /// <summary>
    /// Token ids from JSON: an array of integers (<c>[1, 2, 3]</c>) or an object with an <c>ids</c> array (what <c>tokenize</c> prints).
    /// </summary>
    /// <param name="json">The JSON text.</param>
    /// <exception cref="FormatException">Not such JSON; the message says what was found.</exception>
    public static int[] Ids(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("ids", out var ids))
                root = ids;
            if (root.ValueKind != JsonValueKind.Array)
                throw new FormatException($"expected a JSON array of token ids such as [1, 2, 3], or an object with an \"ids\" array; found {root.ValueKind}");
            var result = new int[root.GetArrayLength()];
            int i = 0;
            foreach (var element in root.EnumerateArray())
            {
                if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out result[i]) || result[i] < 0)
                    throw new FormatException($"element {i} is {element.GetRawText()}; expected a non-negative integer token id");
                i++;
            }
            return result;
        }
        catch (JsonException e)
        {
            throw new FormatException($"not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>
    /// Ids from <paramref name="inline"/> (malformed: a usage error), else from <paramref name="file"/> (<c>-</c> = stdin) or stdin
    /// (malformed: a bad-input error naming the file).
    /// </summary>
    public static int[] ReadIds(string? inline, string? file, TextReader stdin, string inlineOption, string fileOption)
    {
        string text = Read(inline, file, stdin, inlineOption, fileOption);
        try
        {
            return Ids(text);
        }
        catch (FormatException e) when (inline is not null)
        {
            throw new CliUsageException($"{inlineOption}: {e.Message}.");
        }
        catch (FormatException e)
        {
            throw new InputFileException(file is null or "-" ? "stdin" : file, e.Message, e);
        }
    }
}
