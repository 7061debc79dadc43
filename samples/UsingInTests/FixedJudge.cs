using SafeAlign.Evaluation;

namespace UsingInTests;

/// <summary>A test judge with a fixed verdict that records what it was asked (judges are not a pipeline stage, so the app's tests bring their own).</summary>
internal sealed class FixedJudge(bool harmful) : IHarmfulnessJudge
{
    public List<(string Prompt, string Response)> Seen { get; } = [];

    public string Name => harmful ? "always-harmful" : "never-harmful";

    public Task<IReadOnlyList<bool>> JudgeAsync(IReadOnlyList<(string Prompt, string Response)> items, CancellationToken cancellationToken = default)
    {
        Seen.AddRange(items);
        return Task.FromResult<IReadOnlyList<bool>>(items.Select(_ => harmful).ToList());
    }
}
