using SafeAlign.Data;
using SafeAlign.Models;
using SafeAlign.Tokenization;

namespace SafeAlign.Selection;

/// <summary>The input of <see cref="IAlignmentDataSelector.SelectAsync"/>.</summary>
/// <param name="Model">The base model the selected data will align (selectors may train scratch adapters on it but leave it as they found it).</param>
/// <param name="Tokenizer">Its tokenizer.</param>
/// <param name="Data">The alignment data; candidates are the rows of <see cref="AlignmentData.Safety"/>, and <see cref="AlignmentData.Harmful"/> is the harmful reference set.</param>
public sealed record SelectionRequest(CausalLM Model, HfTokenizer Tokenizer, AlignmentData Data);
