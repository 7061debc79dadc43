using SafeAlign.Scoring;
using SafeAlign.Tokenization;

namespace SafeAlign.Tests.Scoring;

public sealed class TokenMaskTests : IDisposable
{
    private const int I = TokenizedExample.IgnoreIndex;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<TokenizedExample> Data() =>
    [
        new([5, 6, 7, 8, 2], [I, I, 7, 8, 2]),
        new([5, 9, 2], [I, 9, 2]),
        new([5, 6, 10, 11, 12, 2], [I, I, I, 11, 12, 2]),
    ];

    private static TokenMask Mask(List<TokenizedExample> data) => TokenMask.Create(data, [[4, 2], [], [3, 4, 5]], "test");

    [Fact]
    public void Create_InvalidPositions_Throw()
    {
        var data = Data();
        Assert.Throws<ArgumentException>(() => TokenMask.Create(data, [[1], [], []], "t"));      // a prompt token
        Assert.Throws<ArgumentException>(() => TokenMask.Create(data, [[5], [], []], "t"));      // past the end
        Assert.Throws<ArgumentException>(() => TokenMask.Create(data, [[2, 2], [], []], "t"));   // twice
        Assert.Throws<ArgumentException>(() => TokenMask.Create(data, [[2], []], "t"));          // a sample short
        Assert.Throws<ArgumentException>(() => TokenMask.Create(data, [[], [], []], " "));
    }

    [Fact]
    public void Apply_SetsDiscardedLabelsToIgnore_KeepsIdsAndOtherLabels_LeavesInputAlone()
    {
        var data = Data();
        var mask = Mask(data);

        var masked = mask.Apply(data);

        Assert.Equal([I, I, I, 8, I], masked[0].Labels);
        Assert.Equal([I, 9, 2], masked[1].Labels);
        Assert.Equal([I, I, I, I, I, I], masked[2].Labels); // every response token discarded
        Assert.Equal(data.Select(e => e.InputIds), masked.Select(e => e.InputIds));
        Assert.Equal([I, I, 7, 8, 2], data[0].Labels);
        Assert.Equal((5L, 8L), (mask.DiscardedTokens, mask.ResponseTokens));
        Assert.Equal([2, 4], mask.Discarded(0));
    }

    [Theory]
    [InlineData("mask.jsonl")]
    [InlineData("nested/mask.safetensors")]
    public void SaveLoad_RoundTrips(string name)
    {
        var data = Data();
        var mask = Mask(data);
        string path = _dir.File(name);

        mask.Save(path);
        var loaded = TokenMask.Load(path);

        Assert.Equal(mask.Scorer, loaded.Scorer);
        Assert.Equal(mask.Count, loaded.Count);
        Assert.Equal((mask.DiscardedTokens, mask.ResponseTokens), (loaded.DiscardedTokens, loaded.ResponseTokens));
        for (int i = 0; i < data.Count; i++)
        {
            Assert.Equal(mask.Discarded(i), loaded.Discarded(i));
            Assert.Equal(mask.ResponseTokensOf(i), loaded.ResponseTokensOf(i));
        }
        Assert.Equal(mask.Apply(data).Select(e => e.Labels), loaded.Apply(data).Select(e => e.Labels));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temp file left behind
    }

    [Fact]
    public void Apply_MisalignedData_IsRejectedNamingTheSample()
    {
        var data = Data();
        var mask = Mask(data);

        var otherIds = Data();
        otherIds[1] = new TokenizedExample([5, 13, 2], [I, 13, 2]); // same length, another tokenisation
        var e1 = Assert.Throws<TokenMaskMismatchException>(() => mask.Apply(otherIds));
        Assert.Equal(1, e1.Sample);
        Assert.Contains("tokenised differently", e1.Message, StringComparison.Ordinal);

        var otherLength = Data();
        otherLength[2] = new TokenizedExample([5, 6, 10, 11, 2], [I, I, I, 11, 2]);
        var e2 = Assert.Throws<TokenMaskMismatchException>(() => mask.Apply(otherLength));
        Assert.Equal(2, e2.Sample);
        Assert.Contains("6 tokens", e2.Message, StringComparison.Ordinal);

        var alreadyMasked = mask.Apply(data);
        Assert.Equal(0, Assert.Throws<TokenMaskMismatchException>(() => mask.Apply(alreadyMasked)).Sample);

        var shorter = Data().Take(2).ToList();
        Assert.Null(Assert.Throws<TokenMaskMismatchException>(() => mask.Apply(shorter)).Sample);

        // Another response span over the same ids (e.g. another template's prompt length).
        var otherSpan = Data();
        otherSpan[0] = new TokenizedExample([5, 6, 7, 8, 2], [I, 6, I, 8, 2]);
        Assert.Equal(0, Assert.Throws<TokenMaskMismatchException>(() => mask.Apply(otherSpan)).Sample);
    }

    [Fact]
    public void Load_MalformedFiles_ThrowNamingTheLine()
    {
        var mask = Mask(Data());
        string good = _dir.File("good.jsonl");
        mask.Save(good);
        string[] lines = File.ReadAllLines(good);

        string badHeader = _dir.File("bad-header.jsonl");
        File.WriteAllLines(badHeader, [lines[0].Replace("safealign-token-mask", "other", StringComparison.Ordinal), .. lines[1..]]);
        Assert.Contains("line 1", Assert.Throws<TokenMaskFormatException>(() => TokenMask.Load(badHeader)).Message, StringComparison.Ordinal);

        string badSample = _dir.File("bad-sample.jsonl");
        File.WriteAllLines(badSample, [lines[0], lines[1], lines[2].Replace("\"discarded\":[]", "\"discarded\":[9]", StringComparison.Ordinal), lines[3]]);
        Assert.Equal("line 3", Assert.Throws<TokenMaskFormatException>(() => TokenMask.Load(badSample)).Location);

        string missing = _dir.File("missing-line.jsonl");
        File.WriteAllLines(missing, lines[..3]);
        Assert.Throws<TokenMaskFormatException>(() => TokenMask.Load(missing));

        Assert.Throws<FileNotFoundException>(() => TokenMask.Load(_dir.File("nope.jsonl")));
    }

    [Fact]
    public void Quality_CountsDiscardedTokensInsideHarmfulSamples()
    {
        var mask = Mask(Data());

        var quality = TokenMaskQuality.Measure(mask, [true, false, false]);

        Assert.Equal((5L, 2L, 3L, 1, 1, 1), (quality.DiscardedTokens, quality.DiscardedInHarmful, quality.HarmfulResponseTokens, quality.HarmfulSamples, quality.HarmfulSamplesTouched, quality.BenignSamplesTouched));
        Assert.Equal(0.4, quality.Precision, 12);
        Assert.Equal(2.0 / 3, quality.Recall, 12);
        Assert.Throws<ArgumentException>(() => TokenMaskQuality.Measure(mask, [true]));
    }
}
