using System.Text.RegularExpressions;

namespace SafeAlign.Evaluation;

/// <summary>
/// Fills <c>{name}</c> placeholders in judge templates in one pass, so text inside a filled value (a prompt that
/// itself contains "{response}") is never substituted again. Unknown braces are left as written.
/// </summary>
internal static partial class JudgePromptTemplate
{
    /// <summary>The template with every known placeholder replaced by its value.</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> values) =>
        Placeholder().Replace(template, m => values.TryGetValue(m.Groups[1].Value, out string? value) ? value : m.Value);

    /// <summary>Throws unless <paramref name="template"/> names every placeholder in <paramref name="required"/>.</summary>
    public static void Require(string? template, string parameterName, params string[] required)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(template, parameterName);
        var missing = required.Where(r => !template.Contains("{" + r + "}", StringComparison.Ordinal)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"The template lacks the placeholder(s) {string.Join(", ", missing.Select(m => "{" + m + "}"))}: \"{template}\".", parameterName);
    }

    [GeneratedRegex(@"\{([a-z_]+)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
