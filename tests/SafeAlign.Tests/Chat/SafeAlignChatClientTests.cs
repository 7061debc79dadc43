using Microsoft.Extensions.AI;
using SafeAlign.Chat;
using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Models.Generation;
using SafeAlign.Tests.Evaluation;
using SafeAlign.Tokenization.Templates;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;
using TemplateMessage = SafeAlign.Tokenization.Templates.ChatMessage;

namespace SafeAlign.Tests.Chat;

public sealed class SafeAlignChatClientTests
{
    private static readonly AiChatMessage[] Question = [new(AiChatRole.User, "How do I bake bread at home?")];

    private static SafeAlignChatClient Client(SafeAlignChatClientOptions? options = null) =>
        new(ChatFixture.Tiny.Model, ChatFixture.Tiny.Tokenizer, options);

    // Argument checks happen before the call returns its task or stream, so they are asserted synchronously.
    private static Action Call(Func<object> call) => () => call();

    private static ChatOptions Greedy(int tokens) => new() { MaxOutputTokens = tokens };

    [Fact]
    public void Constructor_NullOrMismatchedParts_Throw()
    {
        var tiny = ChatFixture.Tiny;
        Assert.Throws<ArgumentNullException>(() => new SafeAlignChatClient(null!, tiny.Tokenizer));
        Assert.Throws<ArgumentNullException>(() => new SafeAlignChatClient(tiny.Model, null!));
        Assert.Throws<ArgumentException>(() => new SafeAlignChatClient(tiny.Model, tiny.Tokenizer, new SafeAlignChatClientOptions { DefaultMaxOutputTokens = 0 }));
        Assert.Throws<ArgumentException>(() => new SafeAlignChatClient(tiny.Model, tiny.Tokenizer, new SafeAlignChatClientOptions { ModelId = " " }));
        using var classifier = TinyModelsForJudges.Classifier(tiny.Tokenizer.VocabularySize);
        Assert.Contains("classification", Assert.Throws<ArgumentException>(() => new SafeAlignChatClient(classifier, tiny.Tokenizer)).Message, StringComparison.Ordinal);
        using var small = TinyModelsForJudges.CausalLm(); // 61 ids: too few for the 512-id tokenizer
        Assert.Throws<ArgumentException>(() => new SafeAlignChatClient(small, tiny.Tokenizer));
    }

    [Fact]
    public void Requests_InvalidMessagesOrOptions_ThrowBeforeGenerating()
    {
        using var client = Client();
        Assert.Throws<ArgumentNullException>(Call(() => client.GetResponseAsync((IEnumerable<AiChatMessage>)null!)));
        Assert.Throws<ArgumentException>(Call(() => client.GetResponseAsync([])));
        Assert.Throws<ArgumentException>(Call(() => client.GetStreamingResponseAsync([])));
        Assert.Throws<ArgumentException>(Call(() => client.GetResponseAsync([new(AiChatRole.User, "hi"), new(AiChatRole.Assistant, "hello")])));
        Assert.Throws<ArgumentException>(Call(() => client.GetResponseAsync([new(AiChatRole.User, "a"), new(AiChatRole.Assistant, "b"), new(AiChatRole.User, "c")]))); // Alpaca: one exchange
        Assert.Throws<ArgumentException>(Call(() => client.GetResponseAsync([new(AiChatRole.User, "a"), new(AiChatRole.System, "late system")])));
        Assert.Throws<NotSupportedException>(Call(() => client.GetResponseAsync([new(AiChatRole.Tool, "result")])));
        Assert.Throws<NotSupportedException>(Call(() => client.GetResponseAsync([new(AiChatRole.User, [new DataContent(new byte[] { 1 }, "image/png")])])));
        Assert.Throws<ArgumentException>(Call(() => client.GetResponseAsync(Question, new ChatOptions { MaxOutputTokens = 0 })));
        Assert.Throws<ArgumentException>(Call(() => client.GetResponseAsync(Question, new ChatOptions { Temperature = -0.5f })));
        Assert.Throws<ArgumentException>(Call(() => client.GetResponseAsync(Question, new ChatOptions { TopP = 1.5f })));
        Assert.Throws<ArgumentException>(Call(() => client.GetResponseAsync(Question, new ChatOptions { StopSequences = [""] })));
        Assert.Throws<NotSupportedException>(Call(() => client.GetResponseAsync(Question, new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] })));
        Assert.Throws<NotSupportedException>(Call(() => client.GetResponseAsync(Question, new ChatOptions { FrequencyPenalty = 0.5f })));
        Assert.Throws<NotSupportedException>(Call(() => client.GetResponseAsync(Question, new ChatOptions { ResponseFormat = ChatResponseFormat.Json })));
        client.Dispose();
        Assert.Throws<ObjectDisposedException>(Call(() => client.GetResponseAsync(Question)));
    }

    [Fact]
    public async Task GetResponse_Greedy_MatchesInstructionResponderOnTheSamePrompt()
    {
        var tiny = ChatFixture.Tiny;
        using var client = Client();

        var response = await client.GetResponseAsync(Question, Greedy(16));
        string expected = InstructionResponder.Respond(tiny.Model, tiny.Tokenizer, [(Question[0].Text, null)], new GenerationOptions { MaxNewTokens = 16 })[0];

        Assert.Equal(expected, response.Text.Trim());
        Assert.Equal(AiChatRole.Assistant, response.Messages.Single().Role);
        int promptIds = tiny.Tokenizer.Encode(AlpacaTemplate.RenderPrompt(Question[0].Text), addSpecialTokens: false).Length;
        Assert.Equal(promptIds, response.Usage!.InputTokenCount);
        Assert.Equal(promptIds + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
        Assert.Equal("safealign-llama", response.ModelId);
    }

    [Fact]
    public async Task GetResponse_SameGreedyRequestTwice_SameTextAndUsage()
    {
        using var client = Client();

        var first = await client.GetResponseAsync(Question, Greedy(20));
        var second = await client.GetResponseAsync(Question, Greedy(20));

        Assert.False(string.IsNullOrEmpty(first.Text));
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(first.Usage!.OutputTokenCount, second.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task GetResponse_Sampling_SameSeedSameText_OtherSeedOtherText()
    {
        using var client = Client();
        ChatOptions Sampled(long seed) => new() { MaxOutputTokens = 24, Temperature = 1.5f, TopK = 200, TopP = 0.95f, Seed = seed };

        var a = await client.GetResponseAsync(Question, Sampled(7));
        var b = await client.GetResponseAsync(Question, Sampled(7));
        var c = await client.GetResponseAsync(Question, Sampled(8));
        var greedy = await client.GetResponseAsync(Question, Greedy(24));

        Assert.Equal(a.Text, b.Text);
        Assert.NotEqual(a.Text, c.Text);
        Assert.NotEqual(greedy.Text, a.Text);
    }

    [Fact]
    public async Task Streaming_ConcatenatedUpdates_EqualNonStreamingResponse()
    {
        using var client = Client();

        var response = await client.GetResponseAsync(Question, Greedy(40));
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Question, Greedy(40)))
            updates.Add(update);

        var textUpdates = updates.Where(u => u.Text.Length > 0).ToList();
        Assert.True(textUpdates.Count > 3, $"expected the text in several pieces, got {textUpdates.Count}");
        Assert.Equal(response.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.All(updates, u => Assert.Equal(AiChatRole.Assistant, u.Role));
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
        var aggregated = updates.ToChatResponse();
        Assert.Equal(response.Text, aggregated.Text);
        Assert.Equal(response.FinishReason, aggregated.FinishReason);
        Assert.Equal(response.Usage!.InputTokenCount, aggregated.Usage!.InputTokenCount);
        Assert.Equal(response.Usage.OutputTokenCount, aggregated.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task MaxOutputTokens_Reached_FinishReasonLengthAndThatManyTokens()
    {
        using var client = Client();

        var response = await client.GetResponseAsync(Question, Greedy(5));

        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(5, response.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task StopSequence_InGreedyText_FinishReasonStopAndTextCutBeforeIt()
    {
        using var client = Client();
        string free = (await client.GetResponseAsync(Question, Greedy(40))).Text;
        Assert.True(free.Length >= 12, $"the free text '{free}' is too short to pick a stop sequence from");
        string stop = free.Substring(free.Length / 2, 3);
        string expected = free[..free.IndexOf(stop, StringComparison.Ordinal)];

        var options = new ChatOptions { MaxOutputTokens = 40, StopSequences = [stop] };
        var response = await client.GetResponseAsync(Question, options);
        string streamed = "";
        await foreach (var update in client.GetStreamingResponseAsync(Question, options))
            streamed += update.Text;

        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(expected, response.Text);
        Assert.Equal(expected, streamed);
        Assert.True(response.Usage!.OutputTokenCount < 40);
    }

    [Fact]
    public async Task Cancellation_BeforeOrDuringGeneration_ThrowsAndLeavesTheClientUsable()
    {
        using var client = Client();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync(Question, Greedy(8), cancelled.Token));

        using var midway = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(Question, Greedy(400), midway.Token))
            {
                if (update.Text.Length > 0 && ++seen == 2)
                    await midway.CancelAsync();
            }
        });
        Assert.Equal(2, seen);

        await foreach (var _ in client.GetStreamingResponseAsync(Question, Greedy(400)))
            break; // leaving early stops generation and frees the model
        var after = await client.GetResponseAsync(Question, Greedy(4));
        Assert.Equal(4, after.Usage!.OutputTokenCount);
    }

    [Fact]
    public void GetService_Metadata_ReportsProviderAndModelId()
    {
        var tiny = ChatFixture.Tiny;
        using var client = Client(new SafeAlignChatClientOptions { ModelId = "tiny-seed-3" });

        var metadata = client.GetService<ChatClientMetadata>();

        Assert.NotNull(metadata);
        Assert.Equal("SafeAlign", metadata.ProviderName);
        Assert.Equal("tiny-seed-3", metadata.DefaultModelId);
        Assert.Same(client, client.GetService<IChatClient>());
        Assert.Same(tiny.Model, client.GetService<CausalLM>());
        Assert.Same(AlpacaTemplate.Instance, client.GetService<IChatTemplate>());
        Assert.Null(client.GetService(typeof(ChatClientMetadata), serviceKey: "other"));
        Assert.Null(client.GetService<string>());
    }

    [Fact]
    public async Task ChatTemplate_FromTokenizerConfig_RendersTheConversationWithIt()
    {
        var tiny = ChatFixture.Tiny;
        var tokenizer = ChatFixture.ChatMlTokenizer();
        using var client = new SafeAlignChatClient(tiny.Model, tokenizer);
        AiChatMessage[] conversation = [new(AiChatRole.System, "Be brief."), new(AiChatRole.User, "Hi"), new(AiChatRole.Assistant, "Hello."), new(AiChatRole.User, "How are you?")];

        var response = await client.GetResponseAsync(conversation, new ChatOptions { MaxOutputTokens = 3, Instructions = "Answer in English." });

        Assert.IsType<ChatMlTemplate>(client.Template);
        string rendered = new ChatMlTemplate().Render(
            [TemplateMessage.System("Be brief.\n\nAnswer in English."), TemplateMessage.User("Hi"),
             TemplateMessage.Assistant("Hello."), TemplateMessage.User("How are you?")], addGenerationPrompt: true);
        Assert.Equal(tokenizer.Encode(rendered, addSpecialTokens: false).Length, response.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task Alpaca_SystemMessage_IsFoldedIntoTheInstruction()
    {
        var tiny = ChatFixture.Tiny;
        using var client = Client();

        var response = await client.GetResponseAsync([new(AiChatRole.System, "You judge safety."), .. Question], Greedy(12));

        string expected = InstructionResponder.Respond(tiny.Model, tiny.Tokenizer, [("You judge safety.\n\n" + Question[0].Text, null)], new GenerationOptions { MaxNewTokens = 12 })[0];
        Assert.Equal(expected, response.Text.Trim());
    }

    [Fact]
    public async Task ChatClientJudge_OverTheLocalModel_RunsEndToEndWithTheRepliesItGets()
    {
        var tiny = ChatFixture.Tiny;
        using var client = Client();
        var judgeOptions = new ChatClientJudgeOptions { Unparseable = UnparseableReplyPolicy.Harmful, MaxConcurrency = 2 };
        var judge = new ChatClientJudge(client, judgeOptions);
        var items = tiny.World.AttackPool.Take(3).Select(h => (h.Prompt, h.Response)).ToList();

        var verdicts = await judge.JudgeAsync(items);

        Assert.Equal(items.Count, verdicts.Count);
        for (int i = 0; i < items.Count; i++)
        {
            var values = new Dictionary<string, string> { ["prompt"] = items[i].Prompt, ["response"] = items[i].Response };
            var reply = await client.GetResponseAsync(
                [new(AiChatRole.System, JudgePromptTemplate.Fill(judgeOptions.SystemPrompt, values)), new(AiChatRole.User, JudgePromptTemplate.Fill(judgeOptions.UserTemplate, values))],
                judgeOptions.ChatOptions!.Clone());
            Assert.Equal(ChatClientJudge.ParseVerdict(reply.Text) ?? true, verdicts[i]);
        }
    }
}
