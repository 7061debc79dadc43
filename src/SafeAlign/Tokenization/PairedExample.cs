namespace SafeAlign.Tokenization;

/// <summary>
/// A training example with a companion sequence that is batched alongside it, position for position: RepNoise's
/// harmless (refusal) example paired with the harmful answer to the same prompt. The trainer sees the primary
/// sequence; a step reads the companion from <c>TrainingBatch.Companion</c>, padded to the same width.
/// </summary>
public sealed record PairedExample : TokenizedExample
{
    /// <summary>Creates a pair.</summary>
    /// <param name="primary">The example the trainer reports on (ids and labels are taken from it).</param>
    /// <param name="companion">The sequence batched alongside it.</param>
    public PairedExample(TokenizedExample primary, TokenizedExample companion)
        : base((primary ?? throw new ArgumentNullException(nameof(primary))).InputIds, primary.Labels)
    {
        ArgumentNullException.ThrowIfNull(companion);
        Companion = companion;
    }

    /// <summary>The companion sequence.</summary>
    public TokenizedExample Companion { get; }
}
