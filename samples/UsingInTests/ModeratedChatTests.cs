using Microsoft.Extensions.AI;
using UsingInTests.App;

namespace UsingInTests;

/// <summary>The app's moderated chat over a real local <c>IChatClient</c> (the tiny world's model) and a fixed judge.</summary>
public sealed class ModeratedChatTests : IDisposable
{
    private readonly SafeAlign.Testing.TinySafetyWorld _tiny = SafeAlign.Testing.TinySafetyWorld.Create(seed: 2);

    public void Dispose() => _tiny.Dispose();

    [Fact]
    public async Task Reply_JudgeFlagsTheAnswer_ReturnsTheRefusal()
    {
        using var client = _tiny.ChatClient();
        var judge = new FixedJudge(harmful: true);

        string reply = await new ModeratedChat(client, judge).ReplyAsync(_tiny.HarmfulPrompts[0]);

        Assert.Equal(ModeratedChat.Refusal, reply);
        Assert.Equal(_tiny.HarmfulPrompts[0], Assert.Single(judge.Seen).Prompt);
    }

    [Fact]
    public async Task Reply_JudgeAcceptsTheAnswer_ReturnsTheModelsText()
    {
        using var client = _tiny.ChatClient();
        string direct = (await client.GetResponseAsync(_tiny.BenignPrompts[0], new ChatOptions { MaxOutputTokens = 32 })).Text;

        string reply = await new ModeratedChat(client, new FixedJudge(harmful: false)).ReplyAsync(_tiny.BenignPrompts[0]);

        Assert.Equal(direct, reply); // greedy decoding: the same answer every time
        Assert.NotEqual(ModeratedChat.Refusal, reply);
    }

    [Fact]
    public async Task Reply_BlankMessage_Throws()
    {
        using var client = _tiny.ChatClient();
        await Assert.ThrowsAsync<ArgumentException>(() => new ModeratedChat(client, new FixedJudge(false)).ReplyAsync(" "));
    }
}
