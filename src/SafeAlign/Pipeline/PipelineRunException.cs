namespace SafeAlign.Pipeline;

/// <summary>A run folder's file cannot be used to resume a <see cref="SafetyPipeline"/> run.</summary>
public sealed class PipelineRunException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file that could not be used.</param>
    /// <param name="problem">What is wrong and what was expected.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public PipelineRunException(string path, string problem, Exception? inner = null) : base($"{path}: {problem}", inner) => FilePath = path;

    /// <summary>The file that could not be used.</summary>
    public string FilePath { get; }
}
