namespace SafeAlign.Experiments;

/// <summary>An experiment CSV does not read as <see cref="ExperimentReport.CsvHeader"/> rows; the message names the source, line, column and problem.</summary>
public sealed class ExperimentCsvFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="source">The file (or text) at fault.</param>
    /// <param name="line">The 1-based line at fault, or 0 when the problem is file-wide.</param>
    /// <param name="column">The column at fault, or null.</param>
    /// <param name="problem">What was expected and what was found.</param>
    public ExperimentCsvFormatException(string source, int line, string? column, string problem)
        : base($"{source}{(line > 0 ? $": line {line}" : "")}{(column is null ? "" : $", column '{column}'")}: {problem}")
    {
        FilePath = source;
        Line = line;
        Column = column;
        Problem = problem;
    }

    /// <summary>The file (or text) at fault.</summary>
    public string FilePath { get; }

    /// <summary>The 1-based line at fault, or 0 when the problem is file-wide.</summary>
    public int Line { get; }

    /// <summary>The column at fault, or null.</summary>
    public string? Column { get; }

    /// <summary>What was expected and what was found.</summary>
    public string Problem { get; }
}
