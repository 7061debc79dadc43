namespace SafeAlign.Scoring;

/// <summary>
/// A <see cref="TokenMask"/> does not belong to the data it is applied to: another number of samples, or a sample
/// whose length, token ids or response span differ (the data was tokenised differently, or reordered).
/// </summary>
public sealed class TokenMaskMismatchException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="sample">The first sample that differs, or null when the sample counts differ.</param>
    /// <param name="problem">What the mask expects and what the data holds.</param>
    public TokenMaskMismatchException(int? sample, string problem)
        : base(sample is null ? $"The token mask does not fit the data: {problem}" : $"The token mask does not fit the data at sample {sample}: {problem}", "data")
    {
        Sample = sample;
        Problem = problem;
    }

    /// <summary>The first sample that differs, or null when the counts differ.</summary>
    public int? Sample { get; }

    /// <summary>What the mask expects and what the data holds.</summary>
    public string Problem { get; }
}
