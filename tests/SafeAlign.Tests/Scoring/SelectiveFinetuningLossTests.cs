using SafeAlign.Evaluation;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Scoring;

/// <summary>The two loss normalisations selective fine-tuning can use, against a hand computation.</summary>
public sealed class SelectiveFinetuningLossTests
{
    private const int I = TokenizedExample.IgnoreIndex;

    // Three samples after masking: 3 retained tokens, 1 retained token, none (every response token discarded).
    private static List<TokenizedExample> Masked() =>
    [
        new([5, 6, 7, 8, 9, 2], [I, I, 7, I, 9, 2]),
        new([5, 11, 12, 2], [I, I, I, 2]),
        new([5, 13, 14, 2], [I, I, I, I]),
    ];

    [Fact]
    public void SampleMean_And_TokenMean_EqualAHandComputation_AllDiscardedSampleGivesNoNaN()
    {
        using var model = ScoringFixture.Model();
        var data = Masked();
        using var scope = NewDisposeScope();
        var batch = TrainingBatch.Collate(data, 0, CPU);

        // Hand computation: per retained token −log softmax(logits[t − 1])[label], each sample run alone, in double.
        var perSample = data.Select(e =>
        {
            using var noGrad = no_grad();
            float[] logits = model.Forward(tensor(e.InputIds.Select(i => (long)i).ToArray(), [1, e.Length])).data<float>().ToArray();
            int v = logits.Length / e.Length;
            return Enumerable.Range(1, e.Length - 1).Where(t => e.Labels[t] != I).Select(t =>
            {
                var row = logits.AsSpan((t - 1) * v, v).ToArray().Select(x => (double)x).ToArray();
                double max = row.Max();
                return max + Math.Log(row.Sum(x => Math.Exp(x - max))) - row[e.Labels[t]];
            }).ToList();
        }).ToList();
        double sampleMean = perSample.Where(s => s.Count > 0).Average(s => s.Average());
        double tokenMean = perSample.SelectMany(s => s).Average();

        double Step(TokenLossNormalization normalization)
        {
            model.zero_grad();
            var loss = SupervisedStep.Instance.Step(model, batch, new StepContext(0, 0, 1) { Normalization = normalization }).item<float>();
            Assert.All(model.parameters(), p => Assert.True(p.grad is null || p.grad.isfinite().all().item<bool>()));
            return loss;
        }

        Assert.Equal(sampleMean, Step(TokenLossNormalization.SampleMean), 1e-4);
        Assert.Equal(tokenMean, Step(TokenLossNormalization.TokenMean), 1e-4);
        Assert.NotEqual(sampleMean, tokenMean, 3);
        Assert.Equal(0f, TokenLoss.SampleMean(model.Forward(batch.InputIds[2..], batch.AttentionMask[2..]), batch.Labels[2..]).item<float>());
    }

    [Fact]
    public void Attack_WithSampleMean_TrainsOnMaskedData_WithFiniteLosses()
    {
        using var model = ScoringFixture.Model();
        var data = ScoringFixture.UserData();
        var allDiscarded = data.Select((e, i) => i % 3 == 0 ? new TokenizedExample(e.InputIds, e.Labels.Select(_ => I).ToArray()) : e).ToList();
        var attack = new HarmfulFinetuneAttack(new HarmfulFinetuneAttackOptions { BatchSize = 4, LearningRate = 1e-3, LossNormalization = TokenLossNormalization.SampleMean });

        var report = attack.Train(model, ScoringFixture.Tokenizer(), allDiscarded);

        Assert.Equal(6, report.Steps);
        Assert.All(report.Losses, l => Assert.True(double.IsFinite(l) && l >= 0));
        Assert.Throws<ArgumentException>(() => new HarmfulFinetuneAttackOptions { LossNormalization = (TokenLossNormalization)7 }.Validate());
        Assert.Throws<ArgumentException>(() => new TrainerOptions { LossNormalization = (TokenLossNormalization)7 }.Validate());
    }
}
