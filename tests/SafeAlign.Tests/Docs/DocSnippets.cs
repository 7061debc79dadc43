using System.Text.RegularExpressions;

namespace SafeAlign.Tests.Docs;

/// <summary>One fenced C# block of a Markdown file.</summary>
/// <param name="File">The Markdown file, relative to the repository root.</param>
/// <param name="Line">The 1-based line of the opening fence.</param>
/// <param name="Code">The block's text, its common indentation removed.</param>
/// <param name="Compiled">False for blocks marked <c>no-compile</c>.</param>
public sealed record DocSnippet(string File, int Line, string Code, bool Compiled)
{
    /// <inheritdoc />
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>
/// Finds the fenced C# blocks of Markdown text: <c>```csharp</c> opens a compiled block, <c>```csharp no-compile</c> one
/// that is shown but not compiled (docs/contributing.md). Fences may be indented (inside list items).
/// </summary>
internal static partial class DocSnippets
{
    /// <summary>The info-string word that keeps a C# block out of compilation.</summary>
    public const string NoCompile = "no-compile";

    /// <summary>Info strings that name C# but are not <c>csharp</c>: the checker would skip them silently, so the tests forbid them.</summary>
    public static readonly string[] OtherCSharpNames = ["cs", "c#", "CSharp", "C#"];

    [GeneratedRegex(@"^(?<indent>[ \t]*)(?<fence>`{3,}|~{3,})[ \t]*(?<info>[^`\n]*)$")]
    private static partial Regex Fence();

    /// <summary>Every fenced block's info string with its line (for the unknown-name check).</summary>
    public static IEnumerable<(int Line, string Info)> Fences(string markdown)
    {
        string[] lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var open = Fence().Match(lines[i]);
            if (!open.Success)
                continue;
            yield return (i + 1, open.Groups["info"].Value.Trim());
            i = Close(lines, i, open.Groups["fence"].Value);
        }
    }

    /// <summary>The C# blocks of <paramref name="markdown"/>.</summary>
    public static IEnumerable<DocSnippet> Extract(string markdown, string file)
    {
        string[] lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var open = Fence().Match(lines[i]);
            if (!open.Success)
                continue;
            string[] info = open.Groups["info"].Value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            int end = Close(lines, i, open.Groups["fence"].Value);
            if (info.Length > 0 && info[0] == "csharp")
            {
                string code = Dedent(lines[(i + 1)..Math.Min(end, lines.Length)]);
                yield return new DocSnippet(file, i + 1, code, !info.Skip(1).Contains(NoCompile));
            }
            i = end;
        }
    }

    // The index of the closing fence (same character, at least as long), or the end of the text.
    private static int Close(string[] lines, int open, string fence)
    {
        for (int j = open + 1; j < lines.Length; j++)
        {
            string t = lines[j].Trim();
            if (t.Length >= fence.Length && t.All(c => c == fence[0]))
                return j;
        }
        return lines.Length;
    }

    private static string Dedent(string[] lines)
    {
        int indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }
}
