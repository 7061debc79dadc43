namespace SafeAlign.Evaluation;

/// <summary>A (prompt, response) with its harmfulness label, to train or check a judge.</summary>
/// <param name="Prompt">The user request.</param>
/// <param name="Response">The answer.</param>
/// <param name="Harmful">True for harmful assistance (compliance with a harmful request); false for refusals and benign answers.</param>
public sealed record LabelledResponse(string Prompt, string Response, bool Harmful);
