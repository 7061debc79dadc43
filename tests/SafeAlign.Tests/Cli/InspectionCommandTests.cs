using System.Text.Json.Nodes;
using SafeAlign.Cli;
using SafeAlign.Models;
using SafeAlign.Tests.Defenses;
using SafeAlign.Tokenization;
using TorchSharp;

namespace SafeAlign.Tests.Cli;

/// <summary>tokenize and forward, the two commands people use to compare with Hugging Face.</summary>
[Collection(CliCollection.Name)]
public sealed class InspectionCommandTests(CliFixture fixture)
{
    private const string Text = "Analyze the sentiment of the input, and respond only positive or negative.";

    [Fact]
    public void Tokenize_WithAndWithoutSpecialTokens_GivesTheTokenizersIds()
    {
        // A tokenizer that adds a BOS token, so the two encodings differ.
        string folder = fixture.NewPath("tokenizer");
        ByteLevelBpeTrainer.Train(DefenseFixture.World().AllText().Take(400), new ByteLevelBpeTrainerOptions { VocabularySize = 300, BosToken = "<|endoftext|>" })
            .Save(folder);
        var tokenizer = HfTokenizer.FromFolder(folder);

        var with = CliFixture.Invoke(["tokenize", "--model", folder, "--text", Text]);
        var without = CliFixture.Invoke(["tokenize", "--model", folder, "--no-special-tokens"], stdin: Text + "\n");

        Assert.True(with.Code == ExitCodes.Ok, with.ToString());
        Assert.True(without.Code == ExitCodes.Ok, without.ToString());
        Assert.Equal(tokenizer.Encode(Text, addSpecialTokens: true), Ids(with.Json));
        Assert.Equal(tokenizer.Encode(Text, addSpecialTokens: false), Ids(without.Json)); // stdin's trailing newline dropped
        Assert.Equal([tokenizer.BosId!.Value, .. Ids(without.Json)], Ids(with.Json));
        Assert.Equal(Ids(with.Json).Length, (int)with.Json["count"]!);
        Assert.Equal(Ids(with.Json).Select(id => tokenizer.IdToToken(id)), with.Json["tokens"]!.AsArray().Select(t => (string?)t));
    }

    [Fact]
    public void Tokenize_Decode_ReadsTokenizesOwnOutputBackToTheText()
    {
        var encoded = CliFixture.Invoke(["tokenize", "--model", fixture.ModelFolder, "--text", Text, "--no-special-tokens"]);

        var decoded = CliFixture.Invoke(["tokenize", "--model", fixture.ModelFolder, "--decode"], stdin: encoded.Out);

        Assert.True(decoded.Code == ExitCodes.Ok, decoded.ToString());
        Assert.Equal(Text, decoded.Out.TrimEnd('\n'));
    }

    [Fact]
    public void Tokenize_DecodeWithoutSpecialTokens_SkipsThem()
    {
        var tokenizer = DefenseFixture.Tokenizer();
        int eos = tokenizer.EosId!.Value;
        string ids = $"[{string.Join(", ", tokenizer.Encode("hello", addSpecialTokens: false).Append(eos))}]";

        var kept = CliFixture.Invoke(["tokenize", "--model", fixture.ModelFolder, "--decode", "--text", ids]);
        var skipped = CliFixture.Invoke(["tokenize", "--model", fixture.ModelFolder, "--decode", "--no-special-tokens", "--text", ids]);

        Assert.Equal("hello" + tokenizer.IdToToken(eos) + "\n", kept.Out);
        Assert.Equal("hello\n", skipped.Out);
    }

    [Fact]
    public void Forward_LossesAndLastLogits_MatchAnIndependentLogSoftmaxOfTheModelsLogits()
    {
        int[] ids = DefenseFixture.Tokenizer().Encode(Text);

        var run = CliFixture.Invoke(["forward", "--model", fixture.ModelFolder, "--ids", $"[{string.Join(", ", ids)}]", "--top", "3"]);

        Assert.True(run.Code == ExitCodes.Ok, run.ToString());
        using var model = CausalLM.FromPretrained(fixture.ModelFolder, new ModelOptions { Device = new() { Device = "cpu" } });
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var logits = model.Forward(torch.tensor(ids.Select(i => (long)i).ToArray()).view(1, -1))[0]; // (T, V)
        float[][] logProbs = [.. Enumerable.Range(0, ids.Length).Select(t => logits[t].log_softmax(0).data<float>().ToArray())];
        var losses = run.Json["losses"]!.AsArray();
        Assert.Equal(ids.Length, losses.Count);
        Assert.Null(losses[0]); // nothing predicts the first token
        double sum = 0;
        for (int t = 1; t < ids.Length; t++)
        {
            double expected = -logProbs[t - 1][ids[t]]; // naive oracle: −log p(ids[t] | ids < t)
            Assert.Equal(expected, (double)losses[t]!, 4);
            sum += expected;
        }
        Assert.Equal(sum / (ids.Length - 1), (double)run.Json["mean_loss"]!, 4);
        float[] last = logits[ids.Length - 1].data<float>().ToArray();
        Assert.Equal(last.Length, run.Json["last_logits"]!.AsArray().Count);
        Assert.Equal(last.Select(v => (double)v), run.Json["last_logits"]!.AsArray().Select(v => (double)v!), new ToleranceComparer(1e-5));
        var top = run.Json["top"]!.AsArray();
        Assert.Equal(3, top.Count);
        Assert.Equal(Array.IndexOf(last, last.Max()), (int)top[0]!["id"]!);
    }

    [Fact]
    public void Forward_IdsFileFromTokenize_IsAccepted_AndAMalformedOneIsABadInputNamingIt()
    {
        string ids = fixture.NewPath("ids") + ".json", broken = fixture.NewPath("ids") + ".json";
        Assert.Equal(ExitCodes.Ok, CliFixture.Invoke(["tokenize", "--model", fixture.ModelFolder, "--text", Text, "--out", ids]).Code);
        File.WriteAllText(broken, "[1, 2, \"three\"]");

        var good = CliFixture.Invoke(["forward", "--model", fixture.ModelFolder, "--ids-file", ids]);
        var bad = CliFixture.Invoke(["forward", "--model", fixture.ModelFolder, "--ids-file", broken]);

        Assert.True(good.Code == ExitCodes.Ok, good.ToString());
        Assert.Equal(JsonNode.Parse(File.ReadAllText(ids))!["ids"]!.ToJsonString(), good.Json["ids"]!.ToJsonString());
        Assert.Equal(ExitCodes.BadInput, bad.Code);
        Assert.Contains(broken, bad.Error, StringComparison.Ordinal);
        Assert.Contains("element 2", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_IdOutsideTheVocabulary_IsAUsageError()
    {
        var run = CliFixture.Invoke(["forward", "--model", fixture.ModelFolder, "--ids", "[1, 100000]"]);

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains("100000", run.Error, StringComparison.Ordinal);
        Assert.Contains("vocabulary", run.Error, StringComparison.Ordinal);
    }

    private static int[] Ids(JsonObject json) => [.. json["ids"]!.AsArray().Select(n => (int)n!)];

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(x));

        public int GetHashCode(double obj) => 0;
    }
}
