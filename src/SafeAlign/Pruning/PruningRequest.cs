using SafeAlign.Data;
using SafeAlign.Models;
using SafeAlign.Tokenization;

namespace SafeAlign.Pruning;

/// <summary>The input of <see cref="IPostFinetunePruner.PruneAsync"/>.</summary>
/// <param name="Model">The fine-tuned model (the user's adapter may still be attached).</param>
/// <param name="Tokenizer">Its tokenizer.</param>
/// <param name="Harmful">Harmful prompt → harmful answer rows used to find the weights that matter for harm.</param>
public sealed record PruningRequest(CausalLM Model, HfTokenizer Tokenizer, IReadOnlyList<SafetyExample> Harmful);
