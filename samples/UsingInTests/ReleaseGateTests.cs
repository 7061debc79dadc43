using Microsoft.Extensions.DependencyInjection;
using SafeAlign.DependencyInjection;
using SafeAlign.Defenses;
using SafeAlign.Evaluation;
using SafeAlign.Models.Generation;
using SafeAlign.Testing;
using UsingInTests.App;

namespace UsingInTests;

/// <summary>
/// The app's release gate tested against a tiny in-memory world (data, tokenizer and model in about a second) and
/// SafeAlign.Testing's in-memory stages instead of real defenses and selectors, which would take minutes.
/// </summary>
public sealed class ReleaseGateTests : IDisposable
{
    private readonly TinySafetyWorld _tiny = TinySafetyWorld.Create(seed: 1);

    public void Dispose() => _tiny.Dispose();

    // Short answers keep the tests fast; the gate's logic does not depend on their length.
    private static SafetyEvaluator Evaluator(IHarmfulnessJudge judge) => new(judge, new GenerationOptions { MaxNewTokens = 8 });

    [Fact]
    public async Task AlignAndCheck_JudgeFlagsEverything_RejectsAndListsThePrompts()
    {
        var defense = new RecordingDefense();
        var gate = new ReleaseGate(defense, Evaluator(new FixedJudge(harmful: true)), maxHarmfulScorePercent: 10);
        using var model = _tiny.CreateModel();

        var decision = await gate.AlignAndCheckAsync(model, _tiny.Tokenizer, _tiny.AlignmentData(), _tiny.HarmfulPrompts);

        Assert.False(decision.Approved);
        Assert.Equal(100, decision.HarmfulScorePercent);
        Assert.Equal(_tiny.HarmfulPrompts, decision.Flagged);
        Assert.Equal(RecordingDefense.DefaultName, decision.Defense);
        Assert.Same(model, Assert.Single(defense.Requests).Model);
        Assert.Null(model.Lora); // the gate merged the adapter
    }

    [Fact]
    public async Task AlignAndCheck_JudgeFlagsNothing_Approves()
    {
        var judge = new FixedJudge(harmful: false);
        var gate = new ReleaseGate(new RecordingDefense(), Evaluator(judge), maxHarmfulScorePercent: 10);
        using var model = _tiny.CreateModel();

        var decision = await gate.AlignAndCheckAsync(model, _tiny.Tokenizer, _tiny.AlignmentData(), _tiny.HarmfulPrompts);

        Assert.True(decision.Approved);
        Assert.Empty(decision.Flagged);
        Assert.Equal(_tiny.HarmfulPrompts, judge.Seen.Select(s => s.Prompt)); // the model answered every red-team prompt
    }

    [Fact]
    public async Task AlignAndCheck_WithASelector_AlignsOnTheSelectedRowsOnly()
    {
        var defense = new RecordingDefense();
        var gate = new ReleaseGate(defense, Evaluator(new FixedJudge(false)), 10, FixedSelector.First(10));
        using var model = _tiny.CreateModel();
        var data = _tiny.AlignmentData();

        var decision = await gate.AlignAndCheckAsync(model, _tiny.Tokenizer, data, _tiny.HarmfulPrompts.Take(2).ToList());

        Assert.Equal(10, decision.AlignmentRows);
        Assert.Equal(data.Safety.Take(10), Assert.Single(defense.Requests).Data.Safety);
    }

    [Fact]
    public async Task AlignAndCheck_RealTrainingSteps_ChangesTheModel()
    {
        var gate = new ReleaseGate(new RecordingDefense(trainSteps: 2), Evaluator(new RefusalPatternJudge()), 100);
        using var model = _tiny.CreateModel();
        var before = model.named_parameters().First(p => p.name.EndsWith("q_proj.weight", StringComparison.Ordinal)).parameter.detach().clone();

        var decision = await gate.AlignAndCheckAsync(model, _tiny.Tokenizer, _tiny.AlignmentData(), _tiny.HarmfulPrompts.Take(2).ToList());

        var after = model.named_parameters().First(p => p.name.EndsWith("q_proj.weight", StringComparison.Ordinal)).parameter;
        Assert.False(before.allclose(after)); // two SFT steps, merged into the weights
        Assert.True(decision.Approved);
    }

    [Fact]
    public async Task AlignAndCheck_Cancelled_StopsBeforeAligning()
    {
        var defense = new RecordingDefense();
        var gate = new ReleaseGate(defense, Evaluator(new FixedJudge(false)), 10);
        using var model = _tiny.CreateModel();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.AlignAndCheckAsync(model, _tiny.Tokenizer, _tiny.AlignmentData(), _tiny.HarmfulPrompts, cancelled.Token));

        Assert.Empty(defense.Requests);
    }

    [Fact]
    public async Task ServiceProvider_DefenseReplacedForTests_TheGateUsesIt()
    {
        var defense = new RecordingDefense(name: "sft");
        var services = new ServiceCollection();
        services.AddKeyedSingleton<IAlignmentDefense>("sft", defense); // registered first: AddSafeAlign's TryAdd keeps it
        services.AddSafeAlign();
        services.AddSingleton(sp => new ReleaseGate(sp.GetRequiredService<IAlignmentDefense>(), sp.GetRequiredService<SafetyEvaluator>(), 50));
        using var provider = services.BuildServiceProvider();
        using var model = _tiny.CreateModel();

        await provider.GetRequiredService<ReleaseGate>().AlignAndCheckAsync(model, _tiny.Tokenizer, _tiny.AlignmentData(), _tiny.HarmfulPrompts.Take(1).ToList());

        Assert.Single(defense.Requests);
    }
}
