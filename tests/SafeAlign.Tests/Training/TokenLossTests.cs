using SafeAlign.Tests.Models;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;

namespace SafeAlign.Tests.Training;

public sealed class TokenLossTests
{
    [Fact]
    public void PerToken_MatchesNaiveLogSoftmaxLoop()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(4);
        var logits = torch.randn(2, 5, 7);
        var labels = torch.tensor(new long[,] { { -100, 3, 6, -100, 0 }, { 1, 2, -100, 5, 4 } });

        var nll = TokenLoss.PerToken(logits, labels);

        float[] l = logits.data<float>().ToArray();
        long[] y = labels.data<long>().ToArray();
        float[] got = nll.data<float>().ToArray();
        for (int b = 0; b < 2; b++)
        {
            Assert.Equal(0f, got[b * 5]); // nothing predicts the first token
            for (int t = 1; t < 5; t++)
            {
                long label = y[b * 5 + t];
                double expected = 0;
                if (label != -100)
                {
                    // −log softmax(logits[b, t−1])[label], computed by hand in double.
                    var row = Enumerable.Range(0, 7).Select(v => (double)l[(b * 5 + t - 1) * 7 + v]).ToArray();
                    double max = row.Max(), logSum = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
                    expected = logSum - row[label];
                }
                Assert.Equal(expected, got[b * 5 + t], 1e-5);
            }
        }
    }

    [Fact]
    public void Mean_IsSumOverScoredTokens_AndMatchesCrossEntropyOnShiftedLogits()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        var logits = torch.randn(3, 6, 11);
        var labels = torch.randint(0, 11, [3, 6]);
        labels[0, 2] = torch.tensor(-100L);
        labels[2, 5] = torch.tensor(-100L);

        var mean = TokenLoss.Mean(logits, labels).item<float>();

        var reference = torch.nn.functional.cross_entropy(logits[.., ..^1].reshape(-1, 11), labels[.., 1..].reshape(-1)).item<float>();
        Assert.Equal(reference, mean, 1e-5f);
        Assert.Equal(3 * 5 - 2, TokenLoss.Scored(labels).sum().item<long>()); // t ≥ 1, minus the two ignored labels
    }

    [Fact]
    public void SampleMean_SampleWithNoScoredToken_ContributesNothing()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(6);
        var logits = torch.randn(2, 4, 5);
        var labels = torch.tensor(new long[,] { { 0, 1, 2, 3 }, { -100, -100, -100, -100 } });

        var loss = TokenLoss.SampleMean(logits, labels);

        var onlyFirst = TokenLoss.Mean(logits[..1], labels[..1]);
        Assert.False(float.IsNaN(loss.item<float>()));
        Assert.Equal(onlyFirst.item<float>(), loss.item<float>(), 1e-6f);
        Assert.Equal(0f, TokenLoss.SampleMean(logits[1..], labels[1..]).item<float>());
    }

    [Fact]
    public void PerSample_IsEachRowsTokenMean_ZeroForARowWithNoScoredToken()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        var logits = torch.randn(3, 5, 6);
        var labels = torch.tensor(new long[,] { { 0, 1, 2, 3, 4 }, { -100, -100, -100, -100, -100 }, { 5, -100, 1, -100, 2 } });

        float[] perSample = TokenLoss.PerSample(logits, labels).data<float>().ToArray();

        Assert.Equal(TokenLoss.Mean(logits[..1], labels[..1]).item<float>(), perSample[0], 1e-6f);
        Assert.Equal(0f, perSample[1]);
        Assert.Equal(TokenLoss.Mean(logits[2..], labels[2..]).item<float>(), perSample[2], 1e-6f);
    }

    [Fact]
    public void PerToken_MismatchedShapes_Throws()
    {
        using var scope = torch.NewDisposeScope();
        Assert.Throws<ArgumentException>(() => TokenLoss.PerToken(torch.zeros(2, 3, 4), torch.zeros(2, 4, dtype: torch.int64)));
        Assert.Throws<ArgumentNullException>(() => TokenLoss.PerToken(null!, torch.zeros(2, 4, dtype: torch.int64)));
    }
    [Theory]
    [InlineData(TokenLossNormalization.TokenMean, false)]
    [InlineData(TokenLossNormalization.SampleMean, false)]
    [InlineData(TokenLossNormalization.TokenMean, true)]
    public void Normalized_FromTheModel_EqualsTheLossOnFullLogits_WithTheSameGradients(TokenLossNormalization normalization, bool sharePrefix)
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create(seed: 8);
        model.train();
        // Rows sharing a three-token prompt head; the middle row has no scored token (it must not count under SampleMean).
        var examples = new List<TokenizedExample>
        {
            new([4, 8, 15, 16, 23, 42, 2], [-100, -100, -100, -100, 23, 42, 2]),
            new([4, 8, 15, 30, 31], [-100, -100, -100, -100, -100]),
            new([4, 8, 15, 50, 51, 52, 53, 2], [-100, -100, -100, -100, -100, 52, 53, 2]),
        };
        var batch = TrainingBatch.Collate(examples, 0, torch.CPU, sharePrefix: sharePrefix);
        Assert.Equal(sharePrefix ? 3 : 0, batch.SharedPrefixLength);

        (float Loss, float[] Gradient) Run(Func<torch.Tensor> loss)
        {
            model.zero_grad();
            var value = loss();
            value.backward();
            var embedding = model.named_parameters().First(p => p.name.Contains("embed_tokens")).parameter;
            return (value.item<float>(), embedding.grad!.data<float>().ToArray());
        }

        var full = Run(() => TokenLoss.Normalized(model.Forward(batch.InputIds, batch.AttentionMask), batch.Labels, normalization));
        var fromModel = Run(() => TokenLoss.Normalized(model, batch, normalization));

        Assert.Equal(full.Loss, fromModel.Loss, 1e-5f);
        Assert.Contains(full.Gradient, g => g != 0);
        Assert.All(full.Gradient.Zip(fromModel.Gradient), pair => Assert.Equal(pair.First, pair.Second, 1e-5f));
    }
    [Fact]
    public void Normalized_FromTheModel_NoLabelledToken_IsZeroAndBackPropagatesZeros()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create(seed: 8);
        model.train();
        var batch = TrainingBatch.Collate([new TokenizedExample([4, 8, 15, 16], [-100, -100, -100, -100])], 0, torch.CPU);

        var loss = TokenLoss.Normalized(model, batch, TokenLossNormalization.SampleMean);
        loss.backward(); // a pass whose rows are all masked must not break the step

        Assert.Equal(0f, loss.item<float>());
        Assert.All(model.parameters(), p => Assert.Equal(0f, p.grad?.abs().sum().item<float>() ?? 0f));
    }
    [Fact]
    public void PerSample_FromTheModel_EqualsPerSampleOnFullLogits_WithTheSameGradients()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create(seed: 9);
        model.train();
        var examples = new List<TokenizedExample>
        {
            new([4, 8, 15, 16, 23, 42, 2], [-100, -100, -100, -100, 23, 42, 2]),
            new([4, 9, 30, 31], [-100, -100, -100, -100]),
            new([5, 8, 15, 50, 51, 52, 53, 2], [-100, -100, -100, -100, -100, 52, 53, 2]),
        };
        var batch = TrainingBatch.Collate(examples, 0, torch.CPU);
        var weights = torch.tensor(new[] { 0.5f, 2f, 1.5f });

        (float[] Losses, float[] Gradient) Run(Func<torch.Tensor> perSample)
        {
            model.zero_grad();
            var losses = perSample();
            (weights * losses).sum().backward();
            var embedding = model.named_parameters().First(p => p.name.Contains("embed_tokens")).parameter;
            return (losses.detach().data<float>().ToArray(), embedding.grad!.data<float>().ToArray());
        }

        var full = Run(() => TokenLoss.PerSample(model.Forward(batch.InputIds, batch.AttentionMask), batch.Labels));
        var fromModel = Run(() => TokenLoss.PerSample(model, batch));

        Assert.Equal(0f, fromModel.Losses[1]);
        Assert.True(fromModel.Losses[0] > 0 && fromModel.Losses[2] > 0);
        Assert.All(full.Losses.Zip(fromModel.Losses), pair => Assert.Equal(pair.First, pair.Second, 1e-5f));
        Assert.Contains(full.Gradient, g => g != 0);
        Assert.All(full.Gradient.Zip(fromModel.Gradient), pair => Assert.Equal(pair.First, pair.Second, 1e-5f));
    }
}
