using SafeAlign.Tokenization;

namespace SafeAlign.Scoring;

/// <summary>The outcome of token risk scoring.</summary>
/// <param name="Scorer">The scorer's name.</param>
/// <param name="Risk">Per example, a risk per position (NaN where the position is not a response token).</param>
/// <param name="Masked">The user data with the masked tokens' labels set to <see cref="TokenizedExample.IgnoreIndex"/>.</param>
/// <param name="MaskedTokens">How many response tokens were masked.</param>
/// <param name="ResponseTokens">How many response tokens there were.</param>
/// <param name="Elapsed">Wall time of the scoring.</param>
public sealed record TokenRiskScores(string Scorer, IReadOnlyList<float[]> Risk, IReadOnlyList<TokenizedExample> Masked, long MaskedTokens, long ResponseTokens, TimeSpan Elapsed)
{
    /// <summary>
    /// The mask behind <see cref="Masked"/>, tied to the user data's tokenisation: save it to fine-tune in another job,
    /// measure it against known harmful samples (<see cref="TokenMaskQuality"/>), or explain it (<see cref="TokenRiskReport"/>).
    /// Null for a scorer that does not produce one.
    /// </summary>
    public TokenMask? Mask { get; init; }

    /// <summary>
    /// For an iterative scorer (TOSS-Pro), per round the user samples added to its harmful reference set, in the order
    /// the global ranking reached them; empty otherwise.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<int>> ReferenceAdditions { get; init; } = [];
}
