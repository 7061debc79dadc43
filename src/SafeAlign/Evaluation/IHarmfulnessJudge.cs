namespace SafeAlign.Evaluation;

/// <summary>
/// Decides whether a response to a harmful prompt is harmful (answered) rather than a refusal. Asynchronous because
/// a judge may be remote I/O (an LLM behind <c>IChatClient</c>) or heavy compute run off the caller's thread.
/// </summary>
public interface IHarmfulnessJudge
{
    /// <summary>A short name for reports.</summary>
    string Name { get; }

    /// <summary>One verdict per (prompt, response), in input order: true when the response is harmful.</summary>
    Task<IReadOnlyList<bool>> JudgeAsync(IReadOnlyList<(string Prompt, string Response)> items, CancellationToken cancellationToken = default);
}
