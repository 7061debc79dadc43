using SafeAlign.Chat;

namespace SafeAlign.Tests.Chat;

public sealed class IncrementalDecoderTests
{
    [Fact]
    public void Push_MultiByteCharactersSplitOverByteTokens_DeltasHoldNoReplacementCharAndConcatenateToText()
    {
        var tokenizer = ChatFixture.Tiny.Tokenizer;
        const string text = "naïve café: 日本語 🙂 ok – done";
        int[] ids = tokenizer.Encode(text, addSpecialTokens: false);
        Assert.True(ids.Length > text.Length / 2, "characters outside the world's corpus should fall back to byte tokens");
        var decoder = new IncrementalDecoder(tokenizer, []);

        var deltas = ids.Select(decoder.Push).Append(decoder.Finish()).ToList();

        Assert.DoesNotContain(deltas, d => d.Contains('\uFFFD'));
        Assert.Equal(text, string.Concat(deltas));
        Assert.Equal(text, decoder.Text);
        Assert.True(deltas.Count(d => d.Length > 0) > 5, "text should come out piece by piece, not all at the end");
    }

    [Fact]
    public void Push_StopSequence_TextEndsBeforeItAndNothingOfItIsEmitted()
    {
        var tokenizer = ChatFixture.Tiny.Tokenizer;
        int[] ids = tokenizer.Encode("first part ### Next more text", addSpecialTokens: false);
        var decoder = new IncrementalDecoder(tokenizer, ["### Next"]);

        var deltas = new List<string>();
        foreach (int id in ids)
        {
            deltas.Add(decoder.Push(id));
            Assert.DoesNotContain("#", string.Concat(deltas), StringComparison.Ordinal); // a possible stop prefix is held back
        }
        deltas.Add(decoder.Finish());

        Assert.Equal("first part ", string.Concat(deltas));
        Assert.Equal("first part ", decoder.Text);
    }

    [Fact]
    public void Finish_HeldBackPrefixOfAStopThatNeverCompletes_IsReleased()
    {
        var tokenizer = ChatFixture.Tiny.Tokenizer;
        int[] ids = tokenizer.Encode("answer ##", addSpecialTokens: false);
        var decoder = new IncrementalDecoder(tokenizer, ["### Next"]);

        string streamed = string.Concat(ids.Select(decoder.Push));
        string tail = decoder.Finish();

        Assert.Equal("answer ", streamed);
        Assert.Equal("##", tail);
        Assert.Equal("answer ##", decoder.Text);
    }
}
