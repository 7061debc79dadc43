using SafeAlign.Evaluation;
using SafeAlign.Experiments;
using SafeAlign.Evaluation.World;
using SafeAlign.Selection;

namespace SafeAlign.Tests.Experiments;

public sealed class ExperimentRunnerTests : IDisposable
{
    private readonly TempDirectory _cache = new();

    public void Dispose() => _cache.Dispose();

    // A world and base recipe small enough to build, align and attack in seconds.
    private ExperimentGrid TinyGrid() => new()
    {
        Seeds = [7],
        Selectors = [ExperimentStages.None, "random"],
        Defenses = [ExperimentStages.None, "sft"],
        HarmfulRatios = [0, 0.5],
        EvaluationSize = 6,
        Attack = new HarmfulFinetuneAttackOptions { Samples = 16, BatchSize = 8, LearningRate = 1e-3 },
        World = seed => new SafetyWorldOptions
        {
            Seed = seed, PretrainingSize = 120, AlignmentSize = 24, AlignmentBenignSize = 8, AttackPoolSize = 16,
            HarmfulTestSize = 6, BenignTestSize = 6, TaskTrainSize = 16, TaskTestSize = 6,
        },
        BaseModel = new WorldBaseModelOptions
        {
            Layers = 1, Hidden = 32, Heads = 2, Intermediate = 64, VocabularySize = 512, Steps = 6, BatchSize = 8, CacheDirectory = _cache.Path,
        },
    };

    [Fact]
    public async Task Run_ProducesOneRowPerCell_InGridOrder_AndIsDeterministic()
    {
        var grid = TinyGrid();
        var progress = new List<ExperimentProgress>();

        var rows = await new ExperimentRunner().RunAsync(grid, new SyncProgress(progress.Add));
        var again = await new ExperimentRunner().RunAsync(grid);

        Assert.Equal(grid.Count, rows.Count);
        Assert.Equal(8, rows.Count);
        Assert.Equal(
            ["none/none/none/none/none/p=0", "none/none/none/none/none/p=0.5", "none/sft/none/none/none/p=0", "none/sft/none/none/none/p=0.5",
             "random/none/none/none/none/p=0", "random/none/none/none/none/p=0.5", "random/sft/none/none/none/p=0", "random/sft/none/none/none/p=0.5"],
            rows.Select(r => r.Configuration));
        Assert.All(rows.Where(r => r.Selector == "none"), r => Assert.Equal(24, r.AlignmentRows));
        Assert.All(rows.Where(r => r.Selector == "random"), r => Assert.Equal(10, r.AlignmentRows)); // round(0.4 · 24), the selectors' shared default ratio
        Assert.All(rows.Where(r => r.Selector == "none"), r => Assert.Null(r.DefectAuc));
        Assert.All(rows.Where(r => r.Selector == "random"), r => Assert.InRange(r.DefectAuc!.Value, 0, 1));
        Assert.All(rows.Where(r => r.Defense == "none"), r => Assert.Equal(0, r.AlignmentSeconds));
        Assert.All(rows, r => Assert.Equal(6, r.HarmfulScore.Total));
        Assert.Equal(rows.Select(r => (r.AlignedHarmfulScore, r.HarmfulScore, r.OverRefusal, r.FinetuneAccuracy)),
            again.Select(r => (r.AlignedHarmfulScore, r.HarmfulScore, r.OverRefusal, r.FinetuneAccuracy)));
        Assert.Equal(8, progress.Last().Completed);
        Assert.Equal(8, progress.Last().Total);
        Assert.Contains(progress, p => p.Stage.Contains("aligning with sft", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_EverySelectorSeesTheBaseModel_NotThePreviousConfigurationsAlignedWeights()
    {
        // Two selectors in one grid: the second must score the same base weights as the first, after the first
        // selector's SFT alignment and attacks have run on the shared model.
        var grid = TinyGrid();
        grid.Selectors = ["first", "second"];
        grid.Defenses = ["sft"];
        grid.HarmfulRatios = [0.5];
        var fingerprints = new List<double>();
        var stages = ExperimentStages.Default();
        foreach (string name in grid.Selectors)
            stages.Selectors[name] = seed => new FingerprintingSelector(fingerprints, new RandomSelector(new RandomSelectorOptions { Seed = seed }));

        await new ExperimentRunner(stages).RunAsync(grid);

        Assert.Equal(2, fingerprints.Count);
        Assert.Equal(fingerprints[0], fingerprints[1]);
    }

    [Fact]
    public async Task Run_WithTokenScorers_MasksTheUserData_AndReportsMaskQuality()
    {
        var grid = TinyGrid();
        grid.Selectors = [ExperimentStages.None];
        grid.Defenses = ["sft"];
        grid.HarmfulRatios = [0.5];
        grid.Scorers = [ExperimentStages.None, "random-tokens", "toss"];
        grid.Attack.LossNormalization = SafeAlign.Training.TokenLossNormalization.SampleMean;

        var rows = await new ExperimentRunner().RunAsync(grid);

        Assert.Equal(["none", "random-tokens", "toss"], rows.Select(r => r.Scorer));
        Assert.Null(rows[0].Mask);
        Assert.All(rows.Skip(1), r =>
        {
            Assert.NotNull(r.Mask);
            Assert.Equal(8, r.Mask!.HarmfulSamples); // ⌈0.5 · 16⌉, the first half of the user data
            Assert.True(r.Mask.DiscardedTokens > 0);
            Assert.InRange(r.Mask.Precision, 0, 1);
        });
        string csv = ExperimentReport.ToCsv(rows);
        Assert.EndsWith(",,", csv.Split('\n')[1], StringComparison.Ordinal);
        Assert.False(csv.Split('\n')[3].EndsWith(",,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_WithPruners_PrunesAfterTheAttack_OneRowPerPruner()
    {
        var grid = TinyGrid();
        grid.Selectors = [ExperimentStages.None];
        grid.Defenses = ["sft"];
        grid.HarmfulRatios = [0.5];
        grid.Pruners = [ExperimentStages.None, "antidote", "magnitude", "random-prune", "wanda-benign"];

        var rows = await new ExperimentRunner().RunAsync(grid);

        Assert.Equal(["none", "antidote", "magnitude", "random-prune", "wanda-benign"], rows.Select(r => r.Pruner));
        Assert.Equal(0, rows[0].PruningSeconds);
        Assert.All(rows.Skip(1), r => Assert.True(r.PruningSeconds > 0, r.Pruner));
        Assert.Single(rows.Select(r => r.FinetuneSeconds).Distinct()); // one attack, pruned in copies
        Assert.All(rows, r => Assert.Equal(6, r.HarmfulScore.Total));
    }

    [Fact]
    public async Task Run_UnknownStageOrBadGrid_ThrowsBeforeWork()
    {
        var runner = new ExperimentRunner();
        var unknown = TinyGrid();
        unknown.Defenses = ["vacine"];

        var error = await Assert.ThrowsAsync<ArgumentException>(() => runner.RunAsync(unknown));
        Assert.Contains("'vacine'", error.Message, StringComparison.Ordinal);
        var empty = TinyGrid();
        empty.HarmfulRatios = [];
        await Assert.ThrowsAsync<ArgumentException>(() => runner.RunAsync(empty));
        var badTask = TinyGrid();
        badTask.Task = "mnli";
        await Assert.ThrowsAsync<ArgumentException>(() => runner.RunAsync(badTask));
        Assert.Empty(Directory.GetDirectories(_cache.Path));
    }

    [Fact]
    public async Task Run_Cancelled_Throws()
    {
        using var cancel = new CancellationTokenSource();
        var grid = TinyGrid();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new ExperimentRunner().RunAsync(grid, new SyncProgress(p => { if (p.Stage.Contains("aligning", StringComparison.Ordinal)) cancel.Cancel(); }), cancel.Token));
    }

    [Fact]
    public void Report_CsvAndMarkdown_CarryEveryRow()
    {
        ExperimentRow Row(long seed, int hs) => new(seed, "none", "sft", "none", "none", "none", 0.1, 2000,
            new RateEstimate(2, 200), new RateEstimate(hs, 200), new RateEstimate(1, 200), new RateEstimate(190, 200), 0, 75.5, 9.25, 0, 1_500_000_000);
        var rows = new[] { Row(1, 100), Row(2, 140), Row(3, 60) };
        using var folder = new TempDirectory();

        ExperimentReport.WriteCsv(folder.File("grid.csv"), rows);
        ExperimentReport.WriteMarkdown(folder.File("grid.md"), rows);

        var lines = File.ReadAllLines(folder.File("grid.csv"));
        Assert.Equal(ExperimentReport.CsvHeader, lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("2,none,sft,none,none,none,0.1,2000,1.0,70.0,", lines[2], StringComparison.Ordinal);
        Assert.Equal(ExperimentReport.CsvHeader.Split(',').Length, lines[1].Split(',').Length);
        string md = File.ReadAllText(folder.File("grid.md"));
        Assert.Contains("| none | sft | none | none | none | 0.1 | 3 | 1.0 | 50.0 [30.0–70.0] | 0.5 | 95.0 |", md, StringComparison.Ordinal);
        Assert.Equal(3, md.Split('\n').Count(l => l.StartsWith("| 1 |", StringComparison.Ordinal) || l.StartsWith("| 2 |", StringComparison.Ordinal) || l.StartsWith("| 3 |", StringComparison.Ordinal)));
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp-*"));
    }

    // Records a fingerprint of the weights it is asked to select with, then delegates.
    private sealed class FingerprintingSelector(List<double> fingerprints, IAlignmentDataSelector inner) : IAlignmentDataSelector
    {
        public string Name => inner.Name;

        public Task<AlignmentSelection> SelectAsync(SelectionRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
        {
            using (TorchSharp.torch.NewDisposeScope())
                fingerprints.Add(request.Model.parameters().Sum(p => p.abs().sum().to_type(TorchSharp.torch.ScalarType.Float64).item<double>()));
            return inner.SelectAsync(request, progress, cancellationToken);
        }
    }

    private sealed class SyncProgress(Action<ExperimentProgress> onReport) : IProgress<ExperimentProgress>
    {
        public void Report(ExperimentProgress value) => onReport(value);
    }
}
