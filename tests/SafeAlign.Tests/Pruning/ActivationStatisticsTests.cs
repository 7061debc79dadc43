using SafeAlign.Models.Taps;
using SafeAlign.Pruning;
using SafeAlign.Tests.Defenses;
using SafeAlign.Training;
using SafeAlign.Tokenization;
using TorchSharp;

namespace SafeAlign.Tests.Pruning;

public sealed class ActivationStatisticsTests
{
    [Fact]
    public void Constructor_NoSite_Throws_AndEndBatchWithoutBegin_Throws()
    {
        using var model = PruningFixture.FineTunedModel();
        Assert.Throws<ArgumentException>(() => new ActivationStatistics(model.Taps, []));
        using var statistics = new ActivationStatistics(model.Taps, [new TapSite(0, TapPoint.LinearInput, "self_attn.q_proj")]);
        Assert.Throws<InvalidOperationException>(statistics.EndBatch);
        Assert.Throws<InvalidOperationException>(() => statistics[new TapSite(0, TapPoint.LinearInput, "self_attn.q_proj")]);
        Assert.Throws<KeyNotFoundException>(() => statistics[new TapSite(1, TapPoint.LinearInput, "self_attn.q_proj")]);
    }

    [Fact]
    public void PaddedBatches_EqualTheDirectComputation_AndBatchOfOne()
    {
        using var scope = torch.NewDisposeScope();
        using var model = PruningFixture.FineTunedModel();
        var sequences = PruningFixture.Sequences(PruningFixture.Harmful(7));
        Assert.True(sequences.Select(s => s.Length).Distinct().Count() > 1, "the fixture should mix lengths so that batches hold padding");
        var sites = model.Projections().SelectMany(p => new[] { p.Linear.Site, p.Linear.Site with { Point = TapPoint.LoraHidden } }).ToList();

        var batched = Collect(model, sites, sequences, batchSize: 4);
        var single = Collect(model, sites, sequences, batchSize: 1);
        var (inputs, hidden) = NaivePruning.Statistics(model, sequences);

        Assert.Equal(28, sites.Count);
        foreach (var site in sites)
        {
            var expected = site.Point == TapPoint.LinearInput ? inputs[(site.Layer, site.Module)] : hidden[(site.Layer, site.Module)];
            Assert.Equal(expected.Length, batched[site].Length);
            for (int j = 0; j < expected.Length; j++)
            {
                Assert.Equal(expected[j], batched[site][j], expected[j] * 1e-5 + 1e-9);
                Assert.Equal(single[site][j], batched[site][j], single[site][j] * 1e-5 + 1e-9);
            }
        }
    }

    [Fact]
    public void DisabledAdapter_LeavesLoraSitesUnseen_AndEndBatchSaysSo()
    {
        using var scope = torch.NewDisposeScope();
        using var model = PruningFixture.FineTunedModel();
        var site = model.Projections().First().Linear.Site with { Point = TapPoint.LoraHidden };
        using var statistics = new ActivationStatistics(model.Taps, [site]);
        var batch = TrainingBatch.Collate([new TokenizedExample([5, 6, 7], [5, 6, 7])], 0, torch.CPU);
        model.SetAdapterEnabled(false);

        statistics.BeginBatch(batch.AttentionMask);
        model.HiddenStates(batch.InputIds, batch.AttentionMask);

        var error = Assert.Throws<InvalidOperationException>(statistics.EndBatch);
        Assert.Contains("saw no tensor", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accumulation_LeavesNoTensorBehind()
    {
        using var model = PruningFixture.FineTunedModel();
        var sequences = PruningFixture.Sequences(PruningFixture.Harmful(4));
        var sites = model.Projections().Select(p => p.Linear.Site).ToList();
        using var statistics = new ActivationStatistics(model.Taps, sites);
        Step(model, statistics, sequences); // the running means exist from here on

        long live = DefenseFixture.LiveTensorsAfter(() => Step(model, statistics, sequences));

        Assert.Equal(0, live);
        Assert.Equal(8, statistics.Samples);
    }

    private static void Step(SafeAlign.Models.CausalLM model, ActivationStatistics statistics, List<int[]> sequences)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var batch = TrainingBatch.Collate(sequences.Select(s => new TokenizedExample(s, s)).ToList(), 0, torch.CPU);
        statistics.BeginBatch(batch.AttentionMask);
        model.HiddenStates(batch.InputIds, batch.AttentionMask);
        statistics.EndBatch();
    }

    private static Dictionary<TapSite, double[]> Collect(SafeAlign.Models.CausalLM model, List<TapSite> sites, List<int[]> sequences, int batchSize)
    {
        using var statistics = new ActivationStatistics(model.Taps, sites);
        foreach (var chunk in sequences.Chunk(batchSize))
            Step(model, statistics, chunk.ToList());
        Assert.Equal(sequences.Count, statistics.Samples);
        return sites.ToDictionary(s => s, s => NaivePruning.Values(statistics[s].unsqueeze(0)));
    }
}
