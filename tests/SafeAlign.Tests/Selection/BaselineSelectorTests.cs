using SafeAlign.Data;
using SafeAlign.Evaluation;
using SafeAlign.Models.Lora;
using SafeAlign.Selection;
using SafeAlign.Selection.GradientNorm;
using SafeAlign.Selection.Loss;
using SafeAlign.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Selection;

public sealed class BaselineSelectorTests
{
    private static AlignmentData Subset(int rows = 20)
    {
        var data = SelectionFixture.Data();
        return new AlignmentData { Safety = data.Safety.Take(rows).ToList(), Harmful = data.Harmful, Validation = data.Validation };
    }

    [Fact]
    public void TopK_BreaksTiesByLowerIndex_AndReturnsAscendingIndices()
    {
        Assert.Equal([0, 2, 4], SelectionRanking.TopK([3, 1, 3, 0, 3, 3], 3));
        Assert.Equal([1, 3], SelectionRanking.TopK([0, 5, -1, 4], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => SelectionRanking.TopK([1, 2], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SelectionRanking.TopK([1, 2], 3));
        Assert.Throws<ArgumentException>(() => SelectionRanking.TopK([1, double.NaN], 1));
    }

    [Theory]
    [InlineData(0.4, 106, 42)]
    [InlineData(0.25, 64, 16)]
    [InlineData(0.5, 5, 3)]     // 2.5 rounds away from zero
    [InlineData(0.01, 10, 1)]   // never nothing
    [InlineData(1.0, 7, 7)]
    public void KeepCount_RoundsHalfAwayFromZero_AtLeastOne(double ratio, int candidates, int expected) =>
        Assert.Equal(expected, new SelectorOptions { KeepRatio = ratio }.KeepCount(candidates));

    [Fact]
    public void EveryBaseline_RejectsABadRatio_AndAnEmptySet()
    {
        Assert.Throws<ArgumentException>(() => new LossSelector(new LossSelectorOptions { KeepRatio = 0 }));
        Assert.Throws<ArgumentException>(() => new GradientNormSelector(new GradientNormSelectorOptions { KeepRatio = 1.01 }));
        Assert.Throws<ArgumentException>(() => new RandomSelector(new RandomSelectorOptions { KeepRatio = -1 }));
        Assert.Throws<ArgumentException>(() => new LossSelector(new LossSelectorOptions { Keep = (KeepOrder)5 }));
        using var model = SelectionFixture.Model();
        var empty = new SelectionRequest(model, SelectionFixture.Tokenizer(), new AlignmentData { Safety = [] });
        IAlignmentDataSelector[] selectors = [new FullSelector(), new RandomSelector(), new LossSelector(), new GradientNormSelector()];
        Assert.All(selectors, s => Assert.ThrowsAsync<ArgumentException>(() => s.SelectAsync(empty)).GetAwaiter().GetResult());
    }

    [Fact]
    public async Task Full_KeepsEveryRow()
    {
        using var model = SelectionFixture.Model();
        var selection = await new FullSelector().SelectAsync(new SelectionRequest(model, SelectionFixture.Tokenizer(), Subset()));
        Assert.Equal(Enumerable.Range(0, 20), selection.Indices);
        Assert.Equal("full", selection.Selector);
    }

    [Theory]
    [InlineData(KeepOrder.Lowest)]
    [InlineData(KeepOrder.Highest)]
    public async Task Loss_ScoresAreEachRowsOwnLoss_AndKeepTheChosenEnd(KeepOrder keep)
    {
        using var model = SelectionFixture.Model();
        var data = Subset();
        var selection = await new LossSelector(new LossSelectorOptions { Keep = keep, BatchSize = 7, KeepRatio = 0.25 })
            .SelectAsync(new SelectionRequest(model, SelectionFixture.Tokenizer(), data));

        var losses = RowLosses(model, data); // one row at a time, no padding
        double sign = keep == KeepOrder.Lowest ? -1 : 1;
        for (int i = 0; i < losses.Length; i++)
            Assert.Equal(sign * losses[i], selection.Scores[i], tolerance: 1e-4); // float32 sums in other orders: a tolerance, not rounding
        var expected = Enumerable.Range(0, 20).OrderBy(i => sign * -losses[i]).Take(5).Order();
        Assert.Equal(expected, selection.Indices);
        Assert.Equal(keep == KeepOrder.Lowest ? "loss" : "loss-high", selection.Selector);
    }

    [Fact]
    public async Task GradientNorm_EqualsEachRowsOwnAdapterGradientNorm_AndLeavesTheModelAlone()
    {
        using var model = SelectionFixture.Model();
        var data = Subset(12);
        var before = model.named_parameters().Select(p => p.parameter.detach().clone()).ToList();
        var options = new GradientNormSelectorOptions { BatchSize = 5 };
        var selection = await new GradientNormSelector(options).SelectAsync(new SelectionRequest(model, SelectionFixture.Tokenizer(), data));

        Assert.Null(model.Lora);
        Assert.All(model.named_parameters().Select((p, i) => (p, i)), x => Assert.True(x.p.parameter.eq(before[x.i]).all().item<bool>()));
        Assert.All(model.named_parameters(), p => Assert.True(p.parameter.requires_grad));
        // Oracle: the same probe adapter, one row at a time.
        model.AttachLora(options.Lora());
        var parameters = model.TrainableParameters().Select(p => (Tensor)p.Parameter).ToList();
        var examples = InstructionExamples.Build(SelectionFixture.Tokenizer(), 128, data.Safety.Select(r => (r.Prompt, (string?)null, r.Response)));
        for (int i = 0; i < examples.Count; i++)
        {
            using var scope = NewDisposeScope();
            var batch = TrainingBatch.Collate([examples[i]], 0, CPU);
            var loss = TokenLoss.PerSample(model.Forward(batch.InputIds, batch.AttentionMask), batch.Labels).sum();
            var grads = torch.autograd.grad([loss], parameters, allow_unused: true);
            double norm = Math.Sqrt(grads.Where(g => g is not null && !g.IsInvalid).Sum(g => g.square().sum().item<float>()));
            Assert.Equal(norm, selection.Scores[i], norm * 1e-4 + 1e-7);
        }
        Assert.Equal(Enumerable.Range(0, 12).OrderByDescending(i => selection.Scores[i]).Take(5).Order(), selection.Indices);
    }

    private static double[] RowLosses(SafeAlign.Models.CausalLM model, AlignmentData data)
    {
        var examples = InstructionExamples.Build(SelectionFixture.Tokenizer(), 128, data.Safety.Select(r => (r.Prompt, (string?)null, r.Response)));
        using var noGrad = no_grad();
        return examples.Select(e =>
        {
            using var scope = NewDisposeScope();
            var batch = TrainingBatch.Collate([e], 0, CPU);
            return (double)TokenLoss.Mean(model.Forward(batch.InputIds, batch.AttentionMask), batch.Labels).item<float>();
        }).ToArray();
    }
}
