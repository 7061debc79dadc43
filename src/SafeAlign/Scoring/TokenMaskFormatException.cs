namespace SafeAlign.Scoring;

/// <summary>A saved <see cref="TokenMask"/> file is malformed; the message names the file, the line or tensor, and the problem.</summary>
public sealed class TokenMaskFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file at fault.</param>
    /// <param name="location">The line ("line 3") or tensor at fault, or null when the problem is file-wide.</param>
    /// <param name="problem">What was expected and what was found.</param>
    /// <param name="inner">The underlying parser or I/O error, if any.</param>
    public TokenMaskFormatException(string filePath, string? location, string problem, Exception? inner = null)
        : base(location is null ? $"{filePath}: {problem}" : $"{filePath}: {location}: {problem}", inner)
    {
        FilePath = filePath;
        Location = location;
        Problem = problem;
    }

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }

    /// <summary>The line or tensor at fault, or null.</summary>
    public string? Location { get; }

    /// <summary>What was expected and what was found.</summary>
    public string Problem { get; }
}
