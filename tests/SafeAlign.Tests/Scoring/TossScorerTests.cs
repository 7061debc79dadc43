using SafeAlign.Data;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Scoring;
using SafeAlign.Scoring.Toss;
using SafeAlign.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Scoring;

public sealed class TossScorerTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Options_OutOfRange_Throw()
    {
        Assert.Throws<ArgumentException>(() => new TossScorer(new TossOptions { DiscardRatio = 1.5 }));
        Assert.Throws<ArgumentException>(() => new TossScorer(new TossOptions { Rounds = -1 }));
        Assert.Throws<ArgumentException>(() => new TossScorer(new TossOptions { SamplesPerRound = 0 }));
        Assert.Throws<ArgumentException>(() => new TossScorer(new TossOptions { BatchSize = 0 }));
        Assert.Throws<ArgumentException>(() => new TossScorer(new TossOptions { LearningRate = 0 }));
        Assert.Throws<ArgumentException>(() => new TossScorer(new TossOptions { TargetModules = [] }));
        Assert.Throws<ArgumentException>(() => new TossScorer(new TossOptions { TargetModules = ["qkv"] }));
        Assert.Throws<ArgumentException>(() => new TossScorer(new TossOptions { HarmfulReferenceSamples = 0 }));
        Assert.Equal("toss", new TossScorer().Name);
        Assert.Equal("toss-pro", new TossScorer(new TossOptions { Rounds = 2 }).Name);
        Assert.Equal("toss-local", new TossScorer(new TossOptions { Ranking = TossRanking.PerSample }).Name);
        Assert.Equal("toss-sample", new TossScorer(new TossOptions { Ranking = TossRanking.WholeSamples }).Name);
        Assert.Equal("toss-sample-sum", new TossScorer(new TossOptions { Ranking = TossRanking.WholeSamplesBySum }).Name);
    }

    [Fact]
    public async Task ScoreAsync_BadRequest_Throws()
    {
        using var model = ScoringFixture.Model();
        var scorer = new TossScorer(ScoringFixture.Options());
        var request = ScoringFixture.Request(model);

        await Assert.ThrowsAsync<ArgumentNullException>(() => scorer.ScoreAsync(null!));
        await Assert.ThrowsAsync<ArgumentException>(() => scorer.ScoreAsync(request with { UserData = [] }));
        var noHarmful = new AlignmentData { Safety = request.Reference.Safety, Utility = request.Reference.Utility };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => scorer.ScoreAsync(request with { Reference = noHarmful }));
        Assert.Contains("Harmful", e.Message, StringComparison.Ordinal);
        model.AttachLora(new LoraConfig { Rank = 2 });
        await Assert.ThrowsAsync<InvalidOperationException>(() => scorer.ScoreAsync(request));
    }

    [Fact]
    public async Task Score_EqualsDirectPerTokenComputation_OnlyResponseTokens_EosIncluded()
    {
        using var model = ScoringFixture.Model();
        var data = ScoringFixture.UserData();
        string adapters = _dir.File("adapters");
        var scores = await new TossScorer(ScoringFixture.Options(o => o.SaveAdaptersTo = adapters)).ScoreAsync(ScoringFixture.Request(model));

        // Oracle: each example alone through the saved references, −log softmax by hand in double.
        double[][] Nll(string folder)
        {
            PeftAdapter.Load(model, folder);
            try
            {
                using var noGrad = no_grad();
                return data.Select(e =>
                {
                    using var scope = NewDisposeScope();
                    float[] logits = model.Forward(tensor(e.InputIds.Select(i => (long)i).ToArray(), [1, e.Length])).data<float>().ToArray();
                    int v = logits.Length / e.Length;
                    return Enumerable.Range(0, e.Length).Select(t =>
                    {
                        if (t == 0 || e.Labels[t] == TokenizedExample.IgnoreIndex)
                            return double.NaN;
                        var row = logits.AsSpan((t - 1) * v, v).ToArray().Select(x => (double)x).ToArray();
                        double max = row.Max();
                        return max + Math.Log(row.Sum(x => Math.Exp(x - max))) - row[e.Labels[t]];
                    }).ToArray();
                }).ToArray();
            }
            finally
            {
                model.DetachLora();
            }
        }
        var utility = Nll(Path.Combine(adapters, "utility"));
        var harmful = Nll(Path.Combine(adapters, "harmful"));

        int eos = ScoringFixture.Tokenizer().EosId!.Value;
        long scored = 0;
        for (int i = 0; i < data.Count; i++)
        {
            Assert.Equal(data[i].Length, scores.Risk[i].Length);
            for (int t = 0; t < data[i].Length; t++)
            {
                if (t == 0 || data[i].Labels[t] == TokenizedExample.IgnoreIndex)
                {
                    Assert.True(float.IsNaN(scores.Risk[i][t]), $"prompt token {i}:{t} was scored");
                    continue;
                }
                scored++;
                Assert.Equal(utility[i][t] - harmful[i][t], scores.Risk[i][t], 1e-4);
            }
            Assert.Equal(eos, data[i].InputIds[^1]);
            Assert.False(float.IsNaN(scores.Risk[i][^1]), $"the EOS of sample {i} was not scored");
        }
        Assert.Equal(scored, scores.ResponseTokens);
        Assert.True(utility.SelectMany(r => r).Zip(harmful.SelectMany(r => r)).Any(p => Math.Abs(p.First - p.Second) > 1e-3), "the two references did not diverge");
    }

    [Fact]
    public async Task Score_DiscardsFloorDN_GlobalTop_AndAppliesTheMask()
    {
        using var model = ScoringFixture.Model();
        var request = ScoringFixture.Request(model);

        var scores = await new TossScorer(ScoringFixture.Options(o => o.DiscardRatio = 0.15)).ScoreAsync(request);

        Assert.Equal(TokenRanking.Budget(0.15, scores.ResponseTokens), scores.MaskedTokens);
        Assert.NotNull(scores.Mask);
        Assert.Equal(TokenRanking.GlobalTop(scores.Risk, 0.15), Enumerable.Range(0, request.UserData.Count).Select(i => scores.Mask!.Discarded(i).ToArray()));
        var discardedRisks = Enumerable.Range(0, request.UserData.Count).SelectMany(i => scores.Mask!.Discarded(i).Select(p => scores.Risk[i][p])).ToList();
        var keptRisks = Enumerable.Range(0, request.UserData.Count).SelectMany(i => scores.Risk[i].Select((r, p) => (r, p))
            .Where(x => !float.IsNaN(x.r) && !scores.Mask!.Discarded(i).Contains(x.p)).Select(x => x.r)).ToList();
        Assert.True(discardedRisks.Min() >= keptRisks.Max());
        Assert.Equal(scores.Mask!.Apply(request.UserData).Select(e => e.Labels), scores.Masked.Select(e => e.Labels));
        Assert.Empty(scores.ReferenceAdditions);
    }

    [Fact]
    public async Task Score_LeavesTheModelExactlyAsFound_AndIsDeterministic()
    {
        using var model = ScoringFixture.Model();
        model.train();
        var frozen = model.parameters().First();
        frozen.requires_grad = false;
        var before = ScoringFixture.Weights(model);
        var flags = model.named_parameters().Select(p => (p.name, p.parameter.requires_grad)).ToList();
        var scorer = new TossScorer(ScoringFixture.Options());

        var first = await scorer.ScoreAsync(ScoringFixture.Request(model));
        var second = await scorer.ScoreAsync(ScoringFixture.Request(model));

        Assert.Null(model.Lora);
        Assert.Equal(flags, model.named_parameters().Select(p => (p.name, p.parameter.requires_grad)).ToList());
        Assert.True(model.training);
        foreach (var (name, p) in model.named_parameters())
            Assert.True(before[name].equal(p).all().item<bool>(), $"{name} changed");
        Assert.Equal(first.Risk, second.Risk);
    }

    [Fact]
    public async Task Score_Cancelled_RestoresTheModel()
    {
        using var model = ScoringFixture.Model();
        var before = ScoringFixture.Weights(model);
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(message =>
        {
            if (message.Contains("harmful reference", StringComparison.Ordinal))
                cts.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new TossScorer(ScoringFixture.Options()).ScoreAsync(ScoringFixture.Request(model), progress, cts.Token));

        Assert.Null(model.Lora);
        Assert.All(model.named_parameters(), p => Assert.True(p.parameter.requires_grad && before[p.name].equal(p.parameter).all().item<bool>()));
    }

    [Fact]
    public async Task TossPro_AddsDistinctSamplesInRankingOrder_EachRound()
    {
        using var model = ScoringFixture.Model();
        var request = ScoringFixture.Request(model);
        const int k = 3;
        async Task<TokenRiskScores> Rounds(int rounds) =>
            await new TossScorer(ScoringFixture.Options(o => (o.Rounds, o.SamplesPerRound) = (rounds, k))).ScoreAsync(request);

        var toss = await Rounds(0);
        var one = await Rounds(1);
        var two = await Rounds(2);

        Assert.Equal("toss-pro", two.Scorer);
        Assert.Equal(TokenRanking.SamplesInRankOrder(toss.Risk, k), one.ReferenceAdditions.Single());
        Assert.Equal(2, two.ReferenceAdditions.Count);
        Assert.Equal(one.ReferenceAdditions[0], two.ReferenceAdditions[0]);
        Assert.Equal(TokenRanking.SamplesInRankOrder(one.Risk, k), two.ReferenceAdditions[1]);
        Assert.All(two.ReferenceAdditions, round => Assert.Equal(k, round.Distinct().Count()));
        Assert.NotEqual(toss.Risk, one.Risk); // θʰ was retrained on the larger set
    }

    [Fact]
    public async Task WholeSamples_DropsEntireSamples_RankedByHarmfulLikelihood()
    {
        using var model = ScoringFixture.Model();
        var request = ScoringFixture.Request(model);

        var scores = await new TossScorer(ScoringFixture.Options(o => (o.Ranking, o.DiscardRatio) = (TossRanking.WholeSamples, 0.25))).ScoreAsync(request);

        var mask = scores.Mask!;
        var dropped = Enumerable.Range(0, mask.Count).Where(i => mask.Discarded(i).Count > 0).ToList();
        Assert.Equal((int)Math.Floor(0.25 * request.UserData.Count), dropped.Count);
        Assert.All(dropped, i => Assert.Equal(mask.ResponseTokensOf(i), mask.Discarded(i).Count));
        double Mean(int i) => scores.Risk[i].Where(r => !float.IsNaN(r)).Average(r => (double)r);
        Assert.True(dropped.Min(Mean) >= Enumerable.Range(0, mask.Count).Except(dropped).Max(Mean));
    }

    [Fact]
    public async Task WholeSamplesBySum_DropsEntireSamples_RankedBySummedScore_OnTheSameScoresAsToss()
    {
        using var model = ScoringFixture.Model();
        var request = ScoringFixture.Request(model);

        var toss = await new TossScorer(ScoringFixture.Options()).ScoreAsync(request);
        var scores = await new TossScorer(ScoringFixture.Options(o => (o.Ranking, o.DiscardRatio) = (TossRanking.WholeSamplesBySum, 0.25))).ScoreAsync(request);

        Assert.Equal("toss-sample-sum", scores.Scorer);
        Assert.Equal(toss.Risk, scores.Risk); // same references, same seed: S itself is unchanged
        var mask = scores.Mask!;
        var dropped = Enumerable.Range(0, mask.Count).Where(i => mask.Discarded(i).Count > 0).ToList();
        Assert.Equal((int)Math.Floor(0.25 * request.UserData.Count), dropped.Count);
        Assert.All(dropped, i => Assert.Equal(mask.ResponseTokensOf(i), mask.Discarded(i).Count));
        double Sum(int i) => scores.Risk[i].Where(r => !float.IsNaN(r)).Sum(r => (double)r);
        Assert.True(dropped.Min(Sum) >= Enumerable.Range(0, mask.Count).Except(dropped).Max(Sum));
    }

    [Fact]
    public async Task ExistingAdapters_AreUsedInsteadOfTraining()
    {
        using var model = ScoringFixture.Model();
        var request = ScoringFixture.Request(model);
        string adapters = _dir.File("saved");
        var trained = await new TossScorer(ScoringFixture.Options(o => o.SaveAdaptersTo = adapters)).ScoreAsync(request);

        // No reference rows at all: both references must come from the folders.
        var empty = new AlignmentData { Safety = request.Reference.Safety };
        var loaded = await new TossScorer(ScoringFixture.Options(o => (o.HarmfulAdapter, o.UtilityAdapter) = (Path.Combine(adapters, "harmful"), Path.Combine(adapters, "utility"))))
            .ScoreAsync(request with { Reference = empty });

        Assert.Equal(trained.Risk, loaded.Risk);
    }

    private sealed class SyncProgress(Action<string> onReport) : IProgress<string>
    {
        public void Report(string value) => onReport(value);
    }
}
