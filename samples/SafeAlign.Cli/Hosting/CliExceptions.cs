namespace SafeAlign.Cli.Hosting;

/// <summary>The command line asks for something inconsistent (e.g. two inputs where one is allowed); exit code 2.</summary>
/// <param name="message">What is wrong and what to pass instead.</param>
public sealed class CliUsageException(string message) : Exception(message);

/// <summary>An input file or folder is missing or unusable; exit code 3. The message names the option and the path.</summary>
public sealed class InputFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file or folder.</param>
    /// <param name="problem">What is wrong with it.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public InputFileException(string path, string problem, Exception? inner = null) : base($"{path}: {problem}", inner)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The file or folder.</summary>
    public string Path { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}
