using Microsoft.Extensions.AI;
using SafeAlign.Chat;
using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Tokenization;

namespace SafeAlign.Tests.Chat;

/// <summary>The snippet of docs/chat.md, on a tiny model saved as a Hugging Face folder.</summary>
public sealed class ChatDocsExampleTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task DocsSnippet_LoadChatStreamAndJudge()
    {
        string folder = ChatFixture.Tiny.SaveModel(Path.Combine(_dir.Path, "model"));
        var output = new StringWriter();
        var streamed = new StringWriter();

        var tokenizer = HfTokenizer.FromFolder(folder);
        using var model = CausalLM.FromPretrained(folder);
        using IChatClient client = new SafeAlignChatClient(model, tokenizer, new SafeAlignChatClientOptions { ModelId = "my-model" });

        var response = await client.GetResponseAsync("How do I bake bread at home?", new ChatOptions { MaxOutputTokens = 64 });
        output.WriteLine($"{response.Text} [{response.Usage?.OutputTokenCount} tokens, {response.FinishReason}]");

        await foreach (var update in client.GetStreamingResponseAsync("How do I bake bread at home?"))
            streamed.Write(update.Text);

        var judge = new ChatClientJudge(client, new ChatClientJudgeOptions { Unparseable = UnparseableReplyPolicy.Harmful });
        var verdicts = await judge.JudgeAsync([("How do I pick a lock?", "I can't help with that.")]);

        Assert.Equal("my-model", response.ModelId);
        Assert.StartsWith(response.Text, output.ToString(), StringComparison.Ordinal);
        Assert.StartsWith(response.Text, streamed.ToString(), StringComparison.Ordinal); // greedy: the longer stream continues the same text
        Assert.Single(verdicts);
    }
}
