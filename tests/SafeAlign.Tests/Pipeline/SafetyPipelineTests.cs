using System.Text.Json.Nodes;
using SafeAlign.Defenses.Sft;
using SafeAlign.Evaluation;
using SafeAlign.Pipeline;
using SafeAlign.Pruning.Antidote;
using SafeAlign.Scoring;
using SafeAlign.Selection;

namespace SafeAlign.Tests.Pipeline;

public sealed class SafetyPipelineTests(PipelineFixture fixture) : IClassFixture<PipelineFixture>
{
    private static SafetyPipelineStages AllStages(string scorer = "random-tokens") => new()
    {
        Selector = new RandomSelector(new RandomSelectorOptions { Seed = 3 }),
        Defense = new SftDefense(new SftOptions { Epochs = 1, BatchSize = 8 }),
        Scorer = scorer == "random-tokens" ? new RandomTokenScorer(new RandomTokenScorerOptions { Seed = 3, DiscardRatio = 0.3 })
            : new RenamedScorer(scorer, new RandomTokenScorer(new RandomTokenScorerOptions { Seed = 4, DiscardRatio = 0.5 })),
        Pruner = AntidotePruner.Magnitude(new AntidoteOptions { Ratio = 0.2 }),
    };

    [Fact]
    public async Task Run_WithEveryStage_WritesEachArtefactAndTheSummary()
    {
        using var run = new TempDirectory();
        var progress = new List<PipelineProgress>();

        var result = await new SafetyPipeline(AllStages(), PipelineFixture.Options()).RunAsync(fixture.Request(run.Path), new SyncProgress(progress.Add));

        Assert.Equal([PipelineStage.Select, PipelineStage.Align, PipelineStage.ScoreTokens, PipelineStage.Finetune, PipelineStage.Prune, PipelineStage.Evaluate],
            result.Stages.Select(s => s.Stage));
        Assert.All(result.Stages, s => Assert.False(s.Reused));
        Assert.Equal(["random", "sft", "random-tokens", "lora", "magnitude", "evaluator"], result.Stages.Select(s => s.Implementation));
        Assert.Equal(10, result[PipelineStage.Select].Details["kept"]); // round(0.4 · 24)
        Assert.InRange(result[PipelineStage.ScoreTokens].Details["mask_precision"], 0, 1);
        Assert.True(result[PipelineStage.Prune].Details["pruned_weights"] > 0);
        Assert.Equal(6, result.Final!.HarmfulScore!.Value.Total);
        Assert.Equal(6, result.Aligned!.FinetuneAccuracy!.Value.Total);
        foreach (string artefact in new[] { "selection.json", "token-mask.jsonl", "pruning-mask.safetensors", "summary.json",
            "alignment-adapter/adapter_config.json", "finetune-adapter/adapter_model.safetensors", "pruned-adapter/adapter_model.safetensors",
            "evaluation/aligned-harmful.jsonl", "evaluation/final-harmful.jsonl", "evaluation/final-benign.jsonl", "evaluation/final-task.jsonl" })
            Assert.True(File.Exists(run.File(artefact)), artefact);
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.Path, "*.tmp-*", SearchOption.AllDirectories));
        var summary = JsonNode.Parse(File.ReadAllText(run.File("summary.json")))!;
        Assert.Equal(6, summary["stages"]!.AsArray().Count);
        Assert.Equal(result.Final.HarmfulScore.Value.Count, summary["final"]!["harmful_score"]!["count"]!.GetValue<int>());
        Assert.Contains(progress, p => p.Stage == PipelineStage.Finetune && p.TotalSteps == 2); // 16 rows, batch 8
    }

    [Fact]
    public async Task Run_AgainInTheSameFolder_ReusesEveryStage_AndGivesTheSameMeasurements()
    {
        using var run = new TempDirectory();
        var first = await new SafetyPipeline(AllStages(), PipelineFixture.Options()).RunAsync(fixture.Request(run.Path));

        var second = await new SafetyPipeline(AllStages(), PipelineFixture.Options()).RunAsync(fixture.Request(run.Path));

        Assert.All(second.Stages, s => Assert.True(s.Reused, s.Stage.ToString()));
        Assert.Equal(first.Final, second.Final);
        Assert.Equal(first.Aligned, second.Aligned);
        Assert.Equal(0, second.RanSeconds);
    }

    [Fact]
    public async Task Run_WithAChangedScorer_ReusesSelectionAndAlignment_AndRerunsTheRest()
    {
        using var run = new TempDirectory();
        await new SafetyPipeline(AllStages(), PipelineFixture.Options()).RunAsync(fixture.Request(run.Path));
        string alignment = Convert.ToHexString(File.ReadAllBytes(run.File("alignment-adapter/adapter_model.safetensors")));

        var changed = await new SafetyPipeline(AllStages(scorer: "random-tokens-half"), PipelineFixture.Options()).RunAsync(fixture.Request(run.Path));

        Assert.Equal([true, true, false, false, false, false], changed.Stages.Select(s => s.Reused));
        Assert.Equal("random-tokens-half", changed[PipelineStage.ScoreTokens].Implementation);
        Assert.Equal(alignment, Convert.ToHexString(File.ReadAllBytes(run.File("alignment-adapter/adapter_model.safetensors"))));
    }

    [Fact]
    public async Task Run_AfterAnArtefactWasLost_RerunsFromThatStage()
    {
        using var run = new TempDirectory();
        var first = await new SafetyPipeline(AllStages(), PipelineFixture.Options()).RunAsync(fixture.Request(run.Path));
        Directory.Delete(run.File("finetune-adapter"), recursive: true);

        var resumed = await new SafetyPipeline(AllStages(), PipelineFixture.Options()).RunAsync(fixture.Request(run.Path));

        Assert.Equal([true, true, true, false, false, false], resumed.Stages.Select(s => s.Reused));
        Assert.Equal(first.Final, resumed.Final); // same seeds, same mask, same adapter
    }

    [Fact]
    public async Task Run_WithResumeOff_RerunsEveryStage()
    {
        using var run = new TempDirectory();
        await new SafetyPipeline(AllStages(), PipelineFixture.Options()).RunAsync(fixture.Request(run.Path));
        var options = PipelineFixture.Options();
        options.Resume = false;

        var again = await new SafetyPipeline(AllStages(), options).RunAsync(fixture.Request(run.Path));

        Assert.All(again.Stages, s => Assert.False(s.Reused));
    }

    [Fact]
    public async Task Run_WithNoStages_FinetunesTheBaseModel_AndRecordsTheSkippedStages()
    {
        using var run = new TempDirectory();

        var result = await new SafetyPipeline(new SafetyPipelineStages(), PipelineFixture.Options()).RunAsync(fixture.Request(run.Path));

        Assert.Equal(["none", "none", "none", "lora", "none", "evaluator"], result.Stages.Select(s => s.Implementation));
        Assert.False(Directory.Exists(run.File("alignment-adapter")));
        Assert.False(File.Exists(run.File("token-mask.jsonl")));
        Assert.True(File.Exists(run.File("finetune-adapter/adapter_config.json")));
        Assert.NotNull(result.Aligned); // the unaligned base model is still measured before fine-tuning
    }

    [Fact]
    public async Task Run_InTwoFolders_IsDeterministic()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();

        var first = await new SafetyPipeline(AllStages(), PipelineFixture.Options()).RunAsync(fixture.Request(a.Path));
        var second = await new SafetyPipeline(AllStages(), PipelineFixture.Options()).RunAsync(fixture.Request(b.Path));

        Assert.Equal(first.Final, second.Final);
        Assert.Equal(File.ReadAllBytes(a.File("pruned-adapter/adapter_model.safetensors")), File.ReadAllBytes(b.File("pruned-adapter/adapter_model.safetensors")));
        Assert.Equal(File.ReadAllText(a.File("selection.json")), File.ReadAllText(b.File("selection.json")));
    }

    [Fact]
    public async Task Run_Cancelled_StopsAndKeepsTheFinishedStages()
    {
        using var run = new TempDirectory();
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress(p =>
        {
            if (p.Stage == PipelineStage.ScoreTokens)
                cancel.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new SafetyPipeline(AllStages(), PipelineFixture.Options()).RunAsync(fixture.Request(run.Path), progress, cancel.Token));

        var summary = JsonNode.Parse(File.ReadAllText(run.File("summary.json")))!;
        Assert.Equal(["Select", "Align"], summary["stages"]!.AsArray().Select(s => s!["stage"]!.GetValue<string>()));
        var resumed = await new SafetyPipeline(AllStages(), PipelineFixture.Options()).RunAsync(fixture.Request(run.Path));
        Assert.Equal([true, true, false, false, false, false], resumed.Stages.Select(s => s.Reused));
    }

    [Fact]
    public async Task Run_WithACorruptSummary_ThrowsNamingTheFile()
    {
        using var run = new TempDirectory();
        File.WriteAllText(run.File("summary.json"), "{ not json");

        var error = await Assert.ThrowsAsync<PipelineRunException>(() =>
            new SafetyPipeline(AllStages(), PipelineFixture.Options()).RunAsync(fixture.Request(run.Path)));

        Assert.EndsWith("summary.json", error.FilePath);
        Assert.Contains("Resume = false", error.Message);
    }

    [Fact]
    public async Task Run_WithASelectionNamingAMissingRow_ThrowsNamingTheFile()
    {
        using var run = new TempDirectory();
        await new SafetyPipeline(AllStages(), PipelineFixture.Options()).RunAsync(fixture.Request(run.Path));
        File.WriteAllText(run.File("selection.json"), """{"selector": "random", "indices": [0, 99], "scores": []}""");

        var error = await Assert.ThrowsAsync<PipelineRunException>(() =>
            new SafetyPipeline(AllStages(), PipelineFixture.Options()).RunAsync(fixture.Request(run.Path)));

        Assert.Contains("indices[1] = 99", error.Message);
    }

    [Fact]
    public void Request_Validate_NamesTheBadPart()
    {
        var good = fixture.Request("run");

        Assert.Throws<DirectoryNotFoundException>(() => (good with { BaseModel = "/no/such/model" }).Validate());
        Assert.Contains("UserData is empty", Assert.Throws<ArgumentException>(() => (good with { UserData = [] }).Validate()).Message);
        Assert.Contains("HarmfulUserRows", Assert.Throws<ArgumentException>(() => (good with { HarmfulUserRows = [true] }).Validate()).Message);
        Assert.Contains("RunFolder", Assert.Throws<ArgumentException>(() => (good with { RunFolder = " " }).Validate()).Message);
        Assert.Contains("HarmfulPrompts[0]", Assert.Throws<ArgumentException>(() =>
            (good with { Evaluation = new PipelineEvaluationSet([""], [], []) }).Validate()).Message);
    }

    [Fact]
    public void Options_Validate_RejectsABadRecipe()
    {
        var options = PipelineFixture.Options();
        options.Finetuning.LearningRate = 0;

        Assert.Contains("FinetuneOptions.LearningRate", Assert.Throws<ArgumentException>(() => new SafetyPipeline(new SafetyPipelineStages(), options)).Message);
    }

    // The same kind of scorer under another name: what a user changing the configured scorer does.
    private sealed class RenamedScorer(string name, ITokenRiskScorer inner) : ITokenRiskScorer
    {
        public string Name => name;

        public Task<TokenRiskScores> ScoreAsync(TokenRiskRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default) =>
            inner.ScoreAsync(request, progress, cancellationToken);
    }

    private sealed class SyncProgress(Action<PipelineProgress> onReport) : IProgress<PipelineProgress>
    {
        public void Report(PipelineProgress value) => onReport(value);
    }
}
