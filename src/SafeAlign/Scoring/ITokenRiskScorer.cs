namespace SafeAlign.Scoring;

/// <summary>
/// Scores every response token of a user's fine-tuning data for safety risk, so that the riskiest tokens can be
/// masked out of fine-tuning (TOSS's stage).
/// </summary>
public interface ITokenRiskScorer
{
    /// <summary>The name the scorer is registered under (e.g. "toss").</summary>
    string Name { get; }

    /// <summary>Scores the tokens of <see cref="TokenRiskRequest.UserData"/>.</summary>
    /// <param name="request">Model, tokenizer and the tokenized user data.</param>
    /// <param name="progress">Receives progress messages.</param>
    /// <param name="cancellationToken">Stops the scoring.</param>
    /// <returns>Per-token risks and the masked data.</returns>
    Task<TokenRiskScores> ScoreAsync(TokenRiskRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default);
}
