using SafeAlign.Evaluation;

namespace SafeAlign.Tests.Evaluation;

public sealed class PairwiseWinRateEvaluatorTests
{
    [Theory]
    [InlineData("A", true)]
    [InlineData("(b).", false)]
    [InlineData("Output (B)", false)]
    [InlineData("Output (a) is better because it is complete.", true)]
    [InlineData("Comparing output (a) and output (b): (b) is better.", false)]
    [InlineData("tie", null)]
    [InlineData("nonsense", null)]
    public void ParsePreference_Replies(string reply, bool? firstBetter)
    {
        Assert.Equal(firstBetter, PairwiseWinRateEvaluator.ParsePreference(reply));
    }

    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        using var client = new FakeChatClient((_, _) => "A");

        Assert.Throws<ArgumentNullException>(() => new PairwiseWinRateEvaluator(null!));
        Assert.Throws<ArgumentException>(() => new PairwiseWinRateEvaluator(client, new PairwiseWinRateOptions { UserTemplate = "{instruction} {output_a}" }));
    }

    // The fake judge knows the "true" better answer per instruction: GOOD beats BAD; for "biased" items it always
    // says A (position bias); for "tie" items it says tie.
    private static string Judge(string user)
    {
        string instruction = Between(user, "Instruction:\n", "\n\nOutput (A)");
        string a = Between(user, "Output (A):\n", "\n\nOutput (B)"), b = Between(user, "Output (B):\n", "\n\nWhich");
        if (instruction.StartsWith("biased", StringComparison.Ordinal))
            return "Output (A)";
        if (instruction.StartsWith("tie", StringComparison.Ordinal))
            return "Tie.";
        return a.Contains("GOOD", StringComparison.Ordinal) && !b.Contains("GOOD", StringComparison.Ordinal) ? "A" : "b";
    }

    private static string Between(string text, string start, string end)
    {
        int s = text.IndexOf(start, StringComparison.Ordinal) + start.Length;
        return text[s..text.IndexOf(end, s, StringComparison.Ordinal)];
    }

    [Fact]
    public async Task EvaluateAsync_BothOrders_PositionBiasAndTiesCountHalf_RateAndInterval()
    {
        using var client = new FakeChatClient((_, user) => Judge(user));
        var items = new List<(string, string, string)>();
        items.AddRange(Enumerable.Range(0, 6).Select(i => ($"win {i}", "GOOD answer", "BAD answer")));
        items.AddRange(Enumerable.Range(0, 2).Select(i => ($"loss {i}", "BAD answer", "GOOD answer")));
        items.Add(("biased 0", "BAD answer", "GOOD answer"));
        items.Add(("tie 0", "x", "y"));

        var result = await new PairwiseWinRateEvaluator(client, new PairwiseWinRateOptions { MaxConcurrency = 2 }).EvaluateAsync(items);

        Assert.Equal(20, client.Requests.Count);
        Assert.Equal((6, 2, 2), (result.Wins, result.Ties, result.Losses));
        var biased = result.Items[8];
        Assert.Equal((PairwiseOutcome.Win, PairwiseOutcome.Loss, PairwiseOutcome.Tie), (biased.CandidateFirst, biased.BaselineFirst, biased.Outcome));
        Assert.Equal(0.7, result.WinRate, 1e-12);
        // Wilson 95 % for 7 of 10: 0.3968–0.8922.
        Assert.Equal(0.3968, result.Interval95.Low, 1e-4);
        Assert.Equal(0.8922, result.Interval95.High, 1e-4);
        // The swapped order really shows the baseline first.
        Assert.Contains(client.Requests, r => r.User.StartsWith("Instruction:\nloss 0\n", StringComparison.Ordinal) && r.User.Contains("Output (A):\nGOOD answer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EvaluateAsync_UnparseableReply_ThrowsWithItemIndex_OrCountsTie()
    {
        using var client = new FakeChatClient((_, user) => user.Contains("weird", StringComparison.Ordinal) ? "I cannot decide between them" : "A");
        var items = new List<(string, string, string)> { ("fine", "a", "b"), ("weird", "a", "b") };

        var error = await Assert.ThrowsAsync<JudgeReplyFormatException>(() => new PairwiseWinRateEvaluator(client).EvaluateAsync(items));
        var lenient = await new PairwiseWinRateEvaluator(client, new PairwiseWinRateOptions { UnparseableAsTie = true }).EvaluateAsync(items);

        Assert.Equal(1, error.ItemIndex);
        Assert.Equal((0, 2, 0), (lenient.Wins, lenient.Ties, lenient.Losses));
        Assert.Equal(0.5, lenient.WinRate);
    }
}
