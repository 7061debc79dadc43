using SafeAlign.Data;
using SafeAlign.Models;
using SafeAlign.Tokenization;

namespace SafeAlign.Scoring;

/// <summary>The input of <see cref="ITokenRiskScorer.ScoreAsync"/>.</summary>
/// <param name="Model">The (aligned) model the user will fine-tune; scorers may train reference adapters on it but leave it as they found it.</param>
/// <param name="Tokenizer">Its tokenizer.</param>
/// <param name="UserData">The user's tokenized fine-tuning examples (labels mark the response tokens).</param>
/// <param name="Reference">Reference data the scorer may use (alignment rows, harmful rows, utility rows).</param>
public sealed record TokenRiskRequest(CausalLM Model, HfTokenizer Tokenizer, IReadOnlyList<TokenizedExample> UserData, AlignmentData Reference)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first missing part (a null field, empty or null user data).</summary>
    /// <returns>This instance.</returns>
    public TokenRiskRequest Validate()
    {
        if (Model is null || Tokenizer is null || UserData is null || Reference is null)
            throw new ArgumentException("TokenRiskRequest: Model, Tokenizer, UserData and Reference must all be set.");
        if (UserData.Count == 0)
            throw new ArgumentException("TokenRiskRequest.UserData is empty; expected the tokenized examples to score.");
        for (int i = 0; i < UserData.Count; i++)
        {
            if (UserData[i] is null)
                throw new ArgumentException($"TokenRiskRequest.UserData[{i}] is null.");
        }
        return this;
    }
}
