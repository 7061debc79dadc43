using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Models.Safetensors;
using SafeAlign.Models.Taps;
using SafeAlign.Pruning;
using SafeAlign.Pruning.Antidote;
using SafeAlign.Tests.Defenses;
using TorchSharp;

namespace SafeAlign.Tests.Pruning;

public sealed class AntidotePrunerTests
{
    private static readonly string[] Qkv = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"];

    [Theory]
    [InlineData("Ratio", -0.1)]
    [InlineData("Ratio", 1.5)]
    [InlineData("Ratio", double.NaN)]
    [InlineData("MaxCalibrationSamples", 0)]
    [InlineData("BatchSize", 0)]
    [InlineData("MaxLength", 1)]
    public void Options_OutOfRange_ThrowNamingTheField(string field, double value)
    {
        var options = new AntidoteOptions();
        switch (field)
        {
            case "Ratio": options.Ratio = value; break;
            case "MaxCalibrationSamples": options.MaxCalibrationSamples = (int)value; break;
            case "BatchSize": options.BatchSize = (int)value; break;
            default: options.MaxLength = (int)value; break;
        }

        var error = Assert.Throws<ArgumentException>(() => new AntidotePruner(options));
        Assert.Contains("AntidoteOptions." + field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_BadTargetsOrEnums_Throw()
    {
        Assert.Contains("'q'", Assert.Throws<ArgumentException>(() => new AntidotePruner(new AntidoteOptions { Targets = ["q"] })).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new AntidotePruner(new AntidoteOptions { Targets = [] }));
        Assert.Throws<ArgumentException>(() => new AntidotePruner(new AntidoteOptions { Criterion = (PruningCriterion)7 }));
        Assert.Throws<ArgumentException>(() => new AntidotePruner(new AntidoteOptions { Scope = (PruningScope)7 }));
    }

    [Fact]
    public void Names_FollowCriterionAndCalibration()
    {
        Assert.Equal("antidote", new AntidotePruner().Name);
        Assert.Equal("magnitude", AntidotePruner.Magnitude().Name);
        Assert.Equal("random-prune", AntidotePruner.Random().Name);
        Assert.Equal("wanda-benign", AntidotePruner.BenignWanda().Name);
        var options = new AntidoteOptions { Ratio = 0.3 };
        Assert.Equal(0.3, AntidotePruner.Magnitude(options).Options.Ratio);
        Assert.Equal(PruningCriterion.Wanda, options.Criterion); // the baselines copy, never change, the options they start from
    }

    [Fact]
    public void Prune_BadRequestOrModel_ThrowsClearly_AndChangesNothing()
    {
        using var model = PruningFixture.FineTunedModel();
        var before = DefenseFixture.Snapshot(model);
        var pruner = new AntidotePruner();

        Assert.Throws<ArgumentNullException>(() => pruner.Prune(null!));
        Assert.Contains("Model", Assert.Throws<ArgumentException>(() => pruner.Prune(new PruningRequest(null!, DefenseFixture.Tokenizer(), []))).Message, StringComparison.Ordinal);
        Assert.Contains("Harmful is empty", Assert.Throws<ArgumentException>(() => pruner.Prune(new PruningRequest(model, DefenseFixture.Tokenizer(), []))).Message, StringComparison.Ordinal);
        Assert.Contains("Benign is empty", Assert.Throws<ArgumentException>(() => AntidotePruner.BenignWanda().Prune(new PruningRequest(model, DefenseFixture.Tokenizer(), PruningFixture.Harmful()))).Message, StringComparison.Ordinal);
        Assert.Contains("Scope is Dense", Assert.Throws<InvalidOperationException>(() => new AntidotePruner(new AntidoteOptions { Scope = PruningScope.Dense }).Prune(PruningFixture.Request(model))).Message, StringComparison.Ordinal);
        model.SetAdapterEnabled(false);
        Assert.Contains("disabled", Assert.Throws<InvalidOperationException>(() => pruner.Prune(PruningFixture.Request(model))).Message, StringComparison.Ordinal);
        model.SetAdapterEnabled(true);

        AssertUnchanged(before, model);
        using var bare = PruningFixture.FineTunedModel(userAdapter: false);
        Assert.Contains("no LoRA adapter", Assert.Throws<InvalidOperationException>(() => pruner.Prune(PruningFixture.Request(bare))).Message, StringComparison.Ordinal);
        using var qOnly = DefenseFixture.Model();
        qOnly.AttachLora(new LoraConfig { Rank = 2, TargetModules = ["o_proj"] });
        Assert.Contains("matches no projection", Assert.Throws<InvalidOperationException>(() => pruner.Prune(PruningFixture.Request(qOnly))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prune_ZeroesExactlyTheOraclesTopScoresPerRow_AndOnlyInTheUserAdaptersQkvFactors()
    {
        using var scope = torch.NewDisposeScope();
        using var model = PruningFixture.FineTunedModel();
        var before = DefenseFixture.Snapshot(model);
        var request = PruningFixture.Request(model, harmful: 9);
        var (inputs, hidden) = NaivePruning.Statistics(model, PruningFixture.Sequences(request.Harmful));

        using var result = new AntidotePruner(new AntidoteOptions { BatchSize = 4 }).Prune(request);

        var targets = model.Projections().Where(p => Qkv.Contains(p.Linear.Site.Module)).ToList();
        Assert.Equal(2 * targets.Count, result.Matrices.Count);
        Assert.NotNull(result.Masks);
        foreach (var (path, linear) in targets)
        {
            var key = (linear.Site.Layer, linear.Site.Module);
            foreach (var (factor, statistic) in new[] { ("lora_A", inputs[key]), ("lora_B", hidden[key]) })
            {
                string name = $"{path}.{factor}.weight";
                var original = before[name];
                long rows = original.shape[0], columns = original.shape[1], k = RowPruning.PrunedPerRow(columns, 0.1);
                var expected = NaivePruning.TopPerRow(NaivePruning.WandaScores(original, statistic), rows, columns, k);
                Assert.Equal(expected, result.Masks!.Mask(name).data<bool>().ToArray());
                var was = NaivePruning.Values(original);
                var now = NaivePruning.Values(model.named_parameters().Single(p => p.name == name).parameter);
                for (int i = 0; i < was.Length; i++)
                    Assert.Equal(expected[i] ? 0 : was[i], now[i]);
                var matrix = result.Matrices.Single(m => m.Parameter == name);
                Assert.Equal((rows, columns, k, rows * k, key.Layer, key.Module), (matrix.Rows, matrix.Columns, matrix.PrunedPerRow, matrix.Pruned, matrix.Layer, matrix.Module));
                Assert.True(matrix.ScoreMin <= matrix.ThresholdMean && matrix.ThresholdMean <= matrix.PrunedScoreMean && matrix.PrunedScoreMean <= matrix.ScoreMax);
            }
        }
        // Base weights (with the merged alignment) and every other adapter factor are bit-identical.
        var pruned = result.Masks!.Parameters.ToHashSet();
        AssertUnchanged(before, model, except: pruned);
        Assert.Equal(result.Matrices.Sum(m => m.Pruned), result.PrunedWeights);
        Assert.Equal(result.Matrices.Sum(m => m.Rows * m.Columns), result.ConsideredWeights);
        Assert.Equal(9, result.CalibrationSamples);
        Assert.Equal(PruningFixture.Sequences(request.Harmful).Sum(s => s.Length), result.CalibrationTokens);
        Assert.True(result.CalibrationTime > TimeSpan.Zero && result.ScoringTime > TimeSpan.Zero && result.Elapsed >= result.CalibrationTime + result.ScoringTime);
        Assert.True(model.Taps.IsEmpty);
        Assert.False(model.training);
    }

    [Fact]
    public void Prune_BatchedCalibration_GivesTheMasksOfBatchOne()
    {
        using var a = PruningFixture.FineTunedModel();
        using var b = PruningFixture.FineTunedModel();

        using var batched = new AntidotePruner(new AntidoteOptions { BatchSize = 5, Ratio = 0.25 }).Prune(PruningFixture.Request(a));
        using var single = new AntidotePruner(new AntidoteOptions { BatchSize = 1, Ratio = 0.25 }).Prune(PruningFixture.Request(b));

        foreach (string name in single.Masks!.Parameters)
            Assert.True(Same(single.Masks.Indices(name), batched.Masks!.Indices(name)), name);
        Assert.Equal(10, batched.CalibrationSamples);
    }

    [Fact]
    public void Prune_CalibrationIsCappedAtMaxSamples_AndRatioZeroIsANoOp()
    {
        using var model = PruningFixture.FineTunedModel();
        var before = DefenseFixture.Snapshot(model);

        using var result = new AntidotePruner(new AntidoteOptions { Ratio = 0, MaxCalibrationSamples = 3 }).Prune(PruningFixture.Request(model));

        Assert.Equal(3, result.CalibrationSamples);
        Assert.Equal(0, result.PrunedWeights);
        Assert.All(result.Matrices, m => Assert.True(double.IsNaN(m.PrunedScoreMean)));
        AssertUnchanged(before, model);
    }

    [Fact]
    public void Magnitude_ZeroesTheLargestWeightsPerRow_WithoutData()
    {
        using var scope = torch.NewDisposeScope();
        using var model = PruningFixture.FineTunedModel();
        var before = DefenseFixture.Snapshot(model);

        using var result = AntidotePruner.Magnitude(new AntidoteOptions { Ratio = 0.2, Targets = ["o_proj", "up_proj"] })
            .Prune(new PruningRequest(model, DefenseFixture.Tokenizer(), []));

        Assert.Equal("magnitude", result.Pruner);
        Assert.Equal(0, result.CalibrationSamples);
        Assert.Equal(TimeSpan.Zero, result.CalibrationTime);
        Assert.Equal(8, result.Matrices.Count);
        foreach (string name in result.Masks!.Parameters)
        {
            Assert.Matches(@"\.(o_proj|up_proj)\.lora_[AB]\.weight$", name);
            var w = before[name];
            var expected = NaivePruning.TopPerRow(NaivePruning.Values(w).Select(Math.Abs).ToArray(), w.shape[0], w.shape[1], RowPruning.PrunedPerRow(w.shape[1], 0.2));
            Assert.Equal(expected, result.Masks.Mask(name).data<bool>().ToArray());
        }
        AssertUnchanged(before, model, except: result.Masks.Parameters.ToHashSet());
    }

    [Fact]
    public void Random_IsSeeded_WithTheSameCountPerRow()
    {
        using var a = PruningFixture.FineTunedModel();
        using var b = PruningFixture.FineTunedModel();
        using var c = PruningFixture.FineTunedModel();
        var empty = new List<SafeAlign.Data.SafetyExample>();

        using var first = AntidotePruner.Random(new AntidoteOptions { Seed = 3 }).Prune(new PruningRequest(a, DefenseFixture.Tokenizer(), empty));
        using var same = AntidotePruner.Random(new AntidoteOptions { Seed = 3 }).Prune(new PruningRequest(b, DefenseFixture.Tokenizer(), empty));
        using var other = AntidotePruner.Random(new AntidoteOptions { Seed = 4 }).Prune(new PruningRequest(c, DefenseFixture.Tokenizer(), empty));

        Assert.Equal("random-prune", first.Pruner);
        Assert.All(first.Masks!.Parameters, n => Assert.True(Same(first.Masks.Indices(n), same.Masks!.Indices(n))));
        Assert.Contains(first.Masks.Parameters, n => !Same(first.Masks.Indices(n), other.Masks!.Indices(n)));
        foreach (var m in first.Matrices)
        {
            using var mask = first.Masks.Mask(m.Parameter);
            using var perRow = mask.sum([1]);
            Assert.True(perRow.eq(m.PrunedPerRow).all().item<bool>(), m.Parameter);
        }
    }

    [Fact]
    public void BenignWanda_CalibratesOnTheBenignRows()
    {
        using var harmfulModel = PruningFixture.FineTunedModel();
        using var benignModel = PruningFixture.FineTunedModel();

        using var harmful = new AntidotePruner(new AntidoteOptions { Ratio = 0.25 }).Prune(PruningFixture.Request(harmfulModel, harmful: 10));
        using var benign = AntidotePruner.BenignWanda(new AntidoteOptions { Ratio = 0.25, MaxCalibrationSamples = 6 }).Prune(PruningFixture.Request(benignModel, harmful: 10));

        Assert.Equal("wanda-benign", benign.Pruner);
        Assert.Equal(6, benign.CalibrationSamples);
        Assert.Contains(harmful.Masks!.Parameters, n => !Same(harmful.Masks.Indices(n), benign.Masks!.Indices(n)));
    }

    [Fact]
    public void Dense_PrunesTheTargetedBaseWeights_OfAModelWithoutAdapter()
    {
        using var model = PruningFixture.FineTunedModel(userAdapter: false);
        var before = DefenseFixture.Snapshot(model);

        using var result = new AntidotePruner(new AntidoteOptions { Scope = PruningScope.Dense, Ratio = 0.05, Targets = ["v_proj"] }).Prune(PruningFixture.Request(model));

        Assert.Equal(["model.layers.0.self_attn.v_proj.weight", "model.layers.1.self_attn.v_proj.weight"], result.Masks!.Parameters);
        Assert.All(result.Matrices, m => Assert.Equal((16L, 32L, 2L), (m.Rows, m.Columns, m.PrunedPerRow)));
        foreach (string name in result.Masks.Parameters)
        {
            using var now = model.named_parameters().Single(p => p.name == name).parameter.detach();
            using var mask = result.Masks.Mask(name);
            Assert.True(now.masked_select(mask).eq(0).all().item<bool>());
            Assert.True(Same(now.masked_select(mask.logical_not()), before[name].masked_select(mask.logical_not())));
        }
        AssertUnchanged(before, model, except: result.Masks.Parameters.ToHashSet());
    }

    [Fact]
    public void PrunedAdapter_SavesAndReloadsInPeftFormat_AndMasksSaveAsSafetensors()
    {
        using var scope = torch.NewDisposeScope();
        using var folder = new TempDirectory();
        using var model = PruningFixture.FineTunedModel();
        using var result = new AntidotePruner().Prune(PruningFixture.Request(model));
        var ids = TinyIds();
        var logits = model.Forward(ids).detach();

        PeftAdapter.Save(model, folder.Path);
        result.Masks!.Save(folder.File("mask.safetensors"));
        using var reloaded = PruningFixture.FineTunedModel(userAdapter: false);
        PeftAdapter.Load(reloaded, folder.Path);

        var expected = PeftAdapter.StateDict(model);
        foreach (var (name, tensor) in PeftAdapter.StateDict(reloaded))
            Assert.True(Same(expected[name], tensor), name);
        Assert.True(Same(logits, reloaded.Forward(ids)));
        using var masks = SafetensorsFile.Open(folder.File("mask.safetensors"));
        Assert.Equal(result.Masks.Parameters.Order(StringComparer.Ordinal), masks.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PruneAsync_Cancelled_BeforeOrDuringCalibration_LeavesWeightsUnchanged()
    {
        using var model = PruningFixture.FineTunedModel();
        var before = DefenseFixture.Snapshot(model);
        var pruner = new AntidotePruner(new AntidoteOptions { BatchSize = 2 });
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pruner.PruneAsync(PruningFixture.Request(model), cancellationToken: cancelled.Token));
        using var during = new CancellationTokenSource();
        using (model.Taps.Add(TapPoint.LayerOutput, (_, x) => { during.Cancel(); return x; }))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pruner.PruneAsync(PruningFixture.Request(model), cancellationToken: during.Token));

        AssertUnchanged(before, model);
        Assert.True(model.Taps.IsEmpty);
    }

    [Fact]
    public void Prune_WithoutRecordedMasks_LeavesNoTensorBehind_AndLogs()
    {
        using var model = PruningFixture.FineTunedModel();
        var collector = new FakeLogCollector();
        using var factory = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(collector)).SetMinimumLevel(LogLevel.Debug));
        var pruner = new AntidotePruner(new AntidoteOptions { RecordMasks = false }, factory);
        pruner.Prune(PruningFixture.Request(model)).Dispose(); // first run: TorchSharp's lazily created globals

        PruningResult? result = null;
        long live = DefenseFixture.LiveTensorsAfter(() => result = pruner.Prune(PruningFixture.Request(model)));

        Assert.Equal(0, live);
        Assert.Null(result!.Masks);
        var logs = collector.GetSnapshot();
        Assert.Contains(logs, l => l.Id.Id == 1800 && l.Message.Contains("calibrated on 10 samples", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Id.Id == 1801 && l.Message.Contains($"zeroed {result.PrunedWeights} of", StringComparison.Ordinal));
        Assert.Equal(12, logs.Count(l => l.Id.Id == 1803) / 2);
    }

    private static bool Same(torch.Tensor a, torch.Tensor b)
    {
        return a.shape.SequenceEqual(b.shape) && torch.allclose(a, b, 0, 0);
    }

    private static torch.Tensor TinyIds() => torch.tensor(new long[] { 5, 9, 14, 3, 7, 21 }, [1, 6]);

    private static void AssertUnchanged(Dictionary<string, torch.Tensor> before, CausalLM model, IReadOnlySet<string>? except = null)
    {
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (except?.Contains(name) == true)
                continue;
            Assert.True(Same(before[name], parameter), $"{name} changed");
        }
    }
}
