using SafeAlign.Tests.Defenses;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Training;

public sealed class PerTokenLossesTests
{
    private const int I = TokenizedExample.IgnoreIndex;

    private static List<TokenizedExample> Examples() =>
    [
        new([5, 6, 7, 8, 9, 2], [I, I, 7, 8, 9, 2]),
        new([5, 11, 2], [I, 11, 2]),
        new([5, 13, 14, 15, 2], [I, I, I, 15, 2]),
        new([3, 4], [3, 4]),
    ];

    [Fact]
    public void Compute_MatchesPerTokenOnEachExampleAlone_NaNWhereNotScored_AnyBatchSize()
    {
        using var model = DefenseFixture.Model();
        var examples = Examples();

        var batched = PerTokenLosses.Compute(model, examples, batchSize: 3, padTokenId: 0);
        var single = PerTokenLosses.Compute(model, examples, batchSize: 1, padTokenId: 0);

        for (int i = 0; i < examples.Count; i++)
        {
            using var scope = NewDisposeScope();
            var e = examples[i];
            var labels = tensor(e.Labels.Select(l => (long)l).ToArray(), [1, e.Length]);
            float[] expected;
            using (no_grad())
                expected = TokenLoss.PerToken(model.Forward(tensor(e.InputIds.Select(x => (long)x).ToArray(), [1, e.Length])), labels).data<float>().ToArray();
            for (int t = 0; t < e.Length; t++)
            {
                bool scored = t > 0 && e.Labels[t] != I;
                Assert.Equal(scored, !float.IsNaN(batched[i][t]));
                if (scored)
                {
                    Assert.Equal(expected[t], batched[i][t], 1e-5f);
                    Assert.Equal(single[i][t], batched[i][t], 1e-5f);
                }
            }
        }
    }

    [Fact]
    public void PerTokenFromHidden_EqualsPerTokenOnFullLogits_InChunks()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(11);
        var hidden = randn(3, 7, 16);
        var head = randn(40, 16);
        var labels = randint(0, 40, [3, 7]);
        labels[1, 3] = tensor((long)I);
        labels[2] = full(7, (long)I);

        var expected = TokenLoss.PerToken(nn.functional.linear(hidden, head), labels);
        var chunked = TokenLoss.PerTokenFromHidden(hidden, labels, h => nn.functional.linear(h, head), chunkRows: 4);

        Assert.True(expected.allclose(chunked, rtol: 1e-5, atol: 1e-6));
        Assert.Throws<ArgumentException>(() => TokenLoss.PerTokenFromHidden(hidden, labels[..2], h => h));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenLoss.PerTokenFromHidden(hidden, labels, h => h, chunkRows: 0));
    }

    [Fact]
    public void Compute_LeavesNoLiveTensor_AndValidatesArguments()
    {
        using var model = DefenseFixture.Model();
        var examples = Examples();
        PerTokenLosses.Compute(model, examples, 2, 0); // warm-up

        Assert.Equal(0, DefenseFixture.LiveTensorsAfter(() => PerTokenLosses.Compute(model, examples, 2, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => PerTokenLosses.Compute(model, examples, 0, 0));
        Assert.Throws<ArgumentException>(() => PerTokenLosses.Compute(model, [examples[0], null!], 2, 0));
        Assert.Empty(PerTokenLosses.Compute(model, [], 2, 0));
    }
}
