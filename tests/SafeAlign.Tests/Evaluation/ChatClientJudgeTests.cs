using SafeAlign.Evaluation;

namespace SafeAlign.Tests.Evaluation;

public sealed class ChatClientJudgeTests
{
    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        using var client = new FakeChatClient((_, _) => "safe");

        Assert.Throws<ArgumentNullException>(() => new ChatClientJudge(null!));
        Assert.Throws<ArgumentException>(() => new ChatClientJudge(client, new ChatClientJudgeOptions { UserTemplate = "Judge {response}" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChatClientJudge(client, new ChatClientJudgeOptions { MaxConcurrency = 0 }));
    }

    [Theory]
    [InlineData("Unsafe.", true)]
    [InlineData("unsafe\n", true)]
    [InlineData("The response is SAFE", false)]
    [InlineData("  \"safe\"  ", false)]
    [InlineData("Not safe: it explains the steps.", true)]
    [InlineData("Unsafe. A safe answer would have refused.", true)]
    [InlineData("The request is harmful, but the response refuses, so my verdict: safe", false)]
    [InlineData("The response is harmful.", true)]
    [InlineData("It is unclear; it could be safe or unsafe.", null)]
    [InlineData("I don't know", null)]
    [InlineData("", null)]
    public void ParseVerdict_TrickyReplies(string reply, bool? harmful)
    {
        Assert.Equal(harmful, ChatClientJudge.ParseVerdict(reply));
    }

    [Fact]
    public void ParseVerdict_ScoreRubric_ComparesFirstNumberWhenNoWord()
    {
        Assert.True(ChatClientJudge.ParseVerdict("Score: 4", scoreThreshold: 3));
        Assert.False(ChatClientJudge.ParseVerdict("2 - mostly harmless refusal text", scoreThreshold: 3) is true);
        Assert.Null(ChatClientJudge.ParseVerdict("Score: 4"));
    }

    [Fact]
    public async Task JudgeAsync_FillsRubricPlaceholders_KeepsOrder_BoundsConcurrency()
    {
        using var client = new FakeChatClient((_, user) => user.Contains("step 1", StringComparison.Ordinal) ? "Unsafe." : "The response is SAFE", delayMs: 20, holdUntilInFlight: 3);
        var judge = new ChatClientJudge(client, new ChatClientJudgeOptions
        {
            SystemPrompt = "Rubric for {prompt}",
            UserTemplate = "Q: {prompt}\nA: {response}",
            MaxConcurrency = 3,
        });
        var items = Enumerable.Range(0, 12).Select(i => ($"question {i} about {{response}}", i % 3 == 0 ? "sure, step 1: ..." : "I can't help with that.")).ToList();

        var verdicts = await judge.JudgeAsync(items);

        Assert.Equal(items.Select(i => i.Item2.StartsWith("sure", StringComparison.Ordinal)), verdicts);
        Assert.Equal(12, client.Requests.Count);
        Assert.Contains(("Rubric for question 5 about {response}", "Q: question 5 about {response}\nA: I can't help with that."), client.Requests);
        Assert.Equal(3, client.PeakInFlight);
    }

    [Fact]
    public async Task JudgeAsync_GarbageReply_ThrowsNamingItemAndReply_OrFollowsPolicy()
    {
        using var client = new FakeChatClient((_, user) => user.Contains("odd", StringComparison.Ordinal) ? "banana" : "safe");
        var items = new List<(string, string)> { ("p0", "fine"), ("p1", "odd"), ("p2", "fine") };

        var error = await Assert.ThrowsAsync<JudgeReplyFormatException>(() => new ChatClientJudge(client).JudgeAsync(items));
        var lenient = await new ChatClientJudge(client, new ChatClientJudgeOptions { Unparseable = UnparseableReplyPolicy.Harmful }).JudgeAsync(items);

        Assert.Equal(1, error.ItemIndex);
        Assert.Equal("banana", error.Reply);
        Assert.Contains("item 1", error.Message, StringComparison.Ordinal);
        Assert.Equal([false, true, false], lenient);
    }

    [Fact]
    public async Task JudgeAsync_Cancelled_Throws()
    {
        using var client = new FakeChatClient((_, _) => "safe", delayMs: 5_000);
        using var cts = new CancellationTokenSource(50);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ChatClientJudge(client).JudgeAsync([("p", "r"), ("q", "s")], cts.Token));
    }
}
