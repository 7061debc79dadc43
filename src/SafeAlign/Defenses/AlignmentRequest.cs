using SafeAlign.Data;
using SafeAlign.Models;
using SafeAlign.Tokenization;

namespace SafeAlign.Defenses;

/// <summary>The input of <see cref="IAlignmentDefense.AlignAsync"/>.</summary>
/// <param name="Model">The model to align; must have no adapter attached (merge or detach it first).</param>
/// <param name="Tokenizer">Its tokenizer.</param>
/// <param name="Data">What to train on.</param>
public sealed record AlignmentRequest(CausalLM Model, HfTokenizer Tokenizer, AlignmentData Data)
{
    /// <summary>Checks that every part is present, no adapter is attached and the data can be trained on.</summary>
    /// <returns>This instance.</returns>
    /// <exception cref="ArgumentException">A part is null, the model already carries an adapter, or the data are invalid.</exception>
    public AlignmentRequest Validate()
    {
        if (Model is null || Tokenizer is null || Data is null)
            throw new ArgumentException("AlignmentRequest needs a model, a tokenizer and data.");
        if (Model.Lora is not null)
            throw new ArgumentException("AlignmentRequest.Model already has a LoRA adapter attached; merge or detach it before aligning.");
        Data.Validate();
        return this;
    }
}
