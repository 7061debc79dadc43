using SafeAlign.Data;
using SafeAlign.Models;
using SafeAlign.Tokenization;

namespace SafeAlign.Selection;

/// <summary>The input of <see cref="IAlignmentDataSelector.SelectAsync"/>.</summary>
/// <param name="Model">The base model the selected data will align (selectors may train scratch adapters on it but leave it as they found it).</param>
/// <param name="Tokenizer">Its tokenizer.</param>
/// <param name="Data">
/// The alignment data; candidates are the rows of <see cref="AlignmentData.Safety"/>, <see cref="AlignmentData.Harmful"/> is
/// the harmful reference set and <see cref="AlignmentData.Validation"/> the trusted refusal set bilevel selectors need.
/// </param>
public sealed record SelectionRequest(CausalLM Model, HfTokenizer Tokenizer, AlignmentData Data)
{
    /// <summary>Checks that every part is present and the data can be trained on.</summary>
    /// <exception cref="ArgumentException">A part is null, or the alignment set is empty.</exception>
    public SelectionRequest Validate()
    {
        if (Model is null)
            throw new ArgumentException("SelectionRequest.Model is null.");
        if (Tokenizer is null)
            throw new ArgumentException("SelectionRequest.Tokenizer is null.");
        if (Data is null)
            throw new ArgumentException("SelectionRequest.Data is null.");
        Data.Validate();
        return this;
    }
}
