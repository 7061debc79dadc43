using SafeAlign.Data;
using SafeAlign.Models;
using SafeAlign.Tokenization;

namespace SafeAlign.Scoring;

/// <summary>The input of <see cref="ITokenRiskScorer.ScoreAsync"/>.</summary>
/// <param name="Model">The (aligned) model the user will fine-tune; scorers may train reference adapters on it but leave it as they found it.</param>
/// <param name="Tokenizer">Its tokenizer.</param>
/// <param name="UserData">The user's tokenized fine-tuning examples (labels mark the response tokens).</param>
/// <param name="Reference">Reference data the scorer may use (alignment rows, harmful rows, utility rows).</param>
public sealed record TokenRiskRequest(CausalLM Model, HfTokenizer Tokenizer, IReadOnlyList<TokenizedExample> UserData, AlignmentData Reference);
