using SafeAlign.Pruning;
using TorchSharp;

namespace SafeAlign.Tests.Pruning;

public sealed class RowPruningTests
{
    [Fact]
    public void PrunedPerRow_BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RowPruning.PrunedPerRow(-1, 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => RowPruning.PrunedPerRow(8, -0.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => RowPruning.PrunedPerRow(8, 1.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => RowPruning.PrunedPerRow(8, double.NaN));
    }

    [Theory]
    [InlineData(4096, 0.1, 410)] // the reference's lora_A (256 × 4096) at dense_ratio 0.1
    [InlineData(256, 0.1, 26)]   // its lora_B (4096 × 256)
    [InlineData(4096, 0.05, 205)]
    [InlineData(10, 0.3, 3)]     // ⌈10 · 0.3⌉ would give 4: 10 · 0.3 = 3.0000000000000004 in double
    [InlineData(32, 0, 0)]
    [InlineData(32, 1, 32)]
    public void PrunedPerRow_IsTheReferenceCount(long columns, double ratio, long expected) =>
        Assert.Equal(expected, RowPruning.PrunedPerRow(columns, ratio));

    [Fact]
    public void TopPerRow_BadArguments_Throw()
    {
        using var scope = torch.NewDisposeScope();
        Assert.Throws<ArgumentException>(() => RowPruning.TopPerRow(torch.zeros(4), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => RowPruning.TopPerRow(torch.zeros(2, 4), 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => RowPruning.TopPerRow(torch.zeros(2, 4), -1));
    }

    [Theory]
    [InlineData(7, 33, 4, false)]
    [InlineData(5, 16, 9, true)]   // scores drawn from 4 values: most rows tie at their threshold
    [InlineData(3, 10, 10, true)]
    [InlineData(3, 10, 0, false)]
    public void TopPerRow_MatchesSortedSelection_TiesGoToLowerColumns(long rows, long columns, long k, bool ties)
    {
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(11);
        var scores = ties ? torch.randint(0, 4, [rows, columns], generator: generator).to(torch.float32) : torch.rand([rows, columns], generator: generator);

        var indices = RowPruning.TopPerRow(scores, k);

        Assert.Equal([rows, k], indices.shape);
        var expected = NaivePruning.TopPerRow(NaivePruning.Values(scores), rows, columns, k);
        Assert.Equal(expected, RowPruning.ToMask(indices, columns).data<bool>().ToArray());
        var flat = k == 0 ? [] : indices.data<long>().ToArray();
        for (long r = 0; r < rows && k > 0; r++)
        {
            var row = flat.Skip((int)(r * k)).Take((int)k).ToArray();
            Assert.Equal(row.Order(), row); // ascending within the row
        }
    }

    [Fact]
    public void TopPerRow_NaNScores_Throw()
    {
        using var scope = torch.NewDisposeScope();
        var scores = torch.rand([3, 8], generator: new torch.Generator(2));
        scores[1, 4] = torch.tensor(float.NaN);

        Assert.Contains("NaN", Assert.Throws<InvalidOperationException>(() => RowPruning.TopPerRow(scores, 2)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WandaScore_IsAbsWeightTimesRootStatistic_AndChecksShapes()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(3);
        var weight = torch.randn([6, 5], generator: generator);
        var statistic = torch.rand([5], generator: generator) * 4;

        var scores = RowPruning.WandaScore(weight, statistic);

        var expected = NaivePruning.WandaScores(weight, NaivePruning.Values(statistic.unsqueeze(0)));
        var actual = NaivePruning.Values(scores);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], 1e-6);
        Assert.Equal(NaivePruning.Values(weight).Select(Math.Abs), NaivePruning.Values(RowPruning.MagnitudeScore(weight)));
        Assert.Throws<ArgumentException>(() => RowPruning.WandaScore(weight, torch.ones(6)));
    }

    [Fact]
    public void Apply_ZeroesExactlyTheSelectedEntries()
    {
        using var scope = torch.NewDisposeScope();
        var weight = torch.randn([4, 6], generator: new torch.Generator(5)).requires_grad_(true);
        var before = NaivePruning.Values(weight);
        var indices = RowPruning.TopPerRow(torch.rand([4, 6], generator: new torch.Generator(6)), 2);

        RowPruning.Apply(weight, indices);

        var m = RowPruning.ToMask(indices, 6).data<bool>().ToArray();
        Assert.Equal(8, m.Count(x => x));
        var after = NaivePruning.Values(weight);
        for (int i = 0; i < m.Length; i++)
            Assert.Equal(m[i] ? 0 : before[i], after[i]);
        Assert.Throws<ArgumentException>(() => RowPruning.Apply(weight, indices.to(torch.int32)));
        Assert.Throws<ArgumentException>(() => RowPruning.Apply(weight, indices.t()));
    }

    [Fact]
    public void Apply_ManyMatrices_EqualsOneAtATime_AndChecksAllBeforeChangingAny()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.randn([3, 8], generator: new torch.Generator(1));
        var b = torch.randn([8, 3], generator: new torch.Generator(2)).to(torch.float64);
        var ia = RowPruning.TopPerRow(a.abs(), 2);
        var ib = RowPruning.TopPerRow(b.abs(), 1);
        var (a1, b1) = (a.clone(), b.clone());
        RowPruning.Apply(a1, ia);
        RowPruning.Apply(b1, ib);

        var (a2, b2) = (a.clone(), b.clone());
        RowPruning.Apply([(a2, ia), (b2, ib)]);

        Assert.True(a1.allclose(a2, 0, 0));
        Assert.True(b1.allclose(b2, 0, 0)); // a second dtype gets its own zero
        var (a3, b3) = (a.clone(), b.clone());
        Assert.Throws<ArgumentException>(() => RowPruning.Apply([(a3, ia), (b3, ia)]));   // the second pair is bad
        Assert.True(a3.allclose(a, 0, 0));                                                        // so the first was not touched
    }
}
