using SafeAlign.Data;
using SafeAlign.Models;
using SafeAlign.Tokenization;

namespace SafeAlign.Pruning;

/// <summary>The input of <see cref="IPostFinetunePruner.PruneAsync"/>.</summary>
/// <param name="Model">The fine-tuned model (the user's adapter may still be attached).</param>
/// <param name="Tokenizer">Its tokenizer.</param>
/// <param name="Harmful">
/// Harmful prompt → harmful answer rows used to find the weights that matter for harm (Antidote's re-alignment set);
/// must be disjoint from the fine-tuning data and the evaluation prompts.
/// </param>
public sealed record PruningRequest(CausalLM Model, HfTokenizer Tokenizer, IReadOnlyList<SafetyExample> Harmful)
{
    /// <summary>
    /// Benign instruction rows for pruners calibrated on benign data (the benign-calibrated Wanda ablation of the Antidote
    /// paper uses the user's benign fine-tuning data); empty by default, ignored by the other pruners.
    /// </summary>
    public IReadOnlyList<TaskExample> Benign { get; init; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first missing part.</summary>
    /// <returns>This instance.</returns>
    public PruningRequest Validate()
    {
        if (Model is null)
            throw new ArgumentException("PruningRequest.Model is null; expected the fine-tuned model.");
        if (Tokenizer is null)
            throw new ArgumentException("PruningRequest.Tokenizer is null; expected the model's tokenizer.");
        if (Harmful is null || Benign is null)
            throw new ArgumentException("PruningRequest.Harmful and Benign must not be null (use an empty list).");
        return this;
    }
}
