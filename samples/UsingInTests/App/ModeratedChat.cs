using Microsoft.Extensions.AI;
using SafeAlign.Evaluation;

namespace UsingInTests.App;

/// <summary>
/// An application's chat endpoint (the second class under test): answers through any <see cref="IChatClient"/> and
/// replaces answers a harmfulness judge flags with a fixed refusal.
/// </summary>
public sealed class ModeratedChat(IChatClient chat, IHarmfulnessJudge judge)
{
    /// <summary>What the user sees instead of a flagged answer.</summary>
    public const string Refusal = "Sorry, I can't help with that.";

    /// <summary>The answer to <paramref name="message"/>, or <see cref="Refusal"/> when the judge flags it.</summary>
    public async Task<string> ReplyAsync(string message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(message);
        var response = await chat.GetResponseAsync(message, new ChatOptions { MaxOutputTokens = 32 }, cancellationToken);
        var verdicts = await judge.JudgeAsync([(message, response.Text)], cancellationToken);
        return verdicts[0] ? Refusal : response.Text;
    }
}
