using SafeAlign.Evaluation;
using SafeAlign.Scoring;
using SafeAlign.Scoring.Toss;
using SafeAlign.Tests.Defenses;
using SafeAlign.Tests.Evaluation;
using SafeAlign.Training;

namespace SafeAlign.Tests.Scoring;

/// <summary>The snippets of docs/scoring.md, on the test fixture.</summary>
public sealed class ScoringDocsExampleTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task DocsSnippet_ScoreSaveInOneJob_LoadApplyFinetuneInAnother()
    {
        var world = DefenseFixture.World();
        var tokenizer = ScoringFixture.Tokenizer();
        using var model = ScoringFixture.Model();
        var attack = new HarmfulFinetuneAttack(new HarmfulFinetuneAttackOptions
        {
            Samples = 10, HarmfulRatio = 0.2, BatchSize = 4, LearningRate = 1e-3, LossNormalization = TokenLossNormalization.SampleMean,
        });
        var userData = attack.BuildExamples(tokenizer, world.AttackPool, world.TaskTrain["sst2"]);

        var scores = await new TossScorer(ScoringFixture.Options(o => o.Rounds = 0)).ScoreAsync(new TokenRiskRequest(model, tokenizer, userData, ScoringFixture.Reference()));
        scores.Mask!.Save(_dir.File("toss-mask.jsonl"));
        TokenRiskReport.Create(scores, userData, tokenizer).WriteMarkdown(_dir.File("toss-report.md"));

        var masked = TokenMask.Load(_dir.File("toss-mask.jsonl")).Apply(userData);
        var report = attack.Train(model, tokenizer, masked);

        Assert.Equal(2, attack.HarmfulCount);
        Assert.Equal(scores.Masked.Select(e => e.Labels), masked.Select(e => e.Labels));
        Assert.Equal(TokenRanking.Budget(0.1, scores.ResponseTokens), masked.Sum(e => e.Labels.Count(l => l == -100)) - userData.Sum(e => e.Labels.Count(l => l == -100)));
        Assert.Equal(3, report.Steps);
        Assert.All(report.Losses, l => Assert.True(double.IsFinite(l)));
        Assert.Contains("Highest-risk tokens", File.ReadAllText(_dir.File("toss-report.md")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DocsSnippet_PairwiseWinRate_OfTwoModelsResponses()
    {
        var world = DefenseFixture.World();
        var tokenizer = ScoringFixture.Tokenizer();
        using var tossModel = DefenseFixture.Model(seed: 1);
        using var sftModel = DefenseFixture.Model(seed: 2);
        // A scripted judge that prefers the longer output: the verdict the test can recompute from the responses.
        using var judge = new FakeChatClient((_, user) =>
        {
            int a = Between(user, "Output (A):\n", "\n\nOutput (B):").Length, b = Between(user, "Output (B):\n", "\n\nWhich output").Length;
            return a > b ? "A" : b > a ? "B" : "tie";
        });

        var prompts = world.HarmfulTest.Take(6).Select(h => (h.Prompt, (string?)null)).ToList();
        var candidate = InstructionResponder.Respond(tossModel, tokenizer, prompts, new SafeAlign.Models.Generation.GenerationOptions { MaxNewTokens = 12 });
        var baseline = InstructionResponder.Respond(sftModel, tokenizer, prompts, new SafeAlign.Models.Generation.GenerationOptions { MaxNewTokens = 12 });
        var safety = await new PairwiseWinRateEvaluator(judge, new PairwiseWinRateOptions { SystemPrompt = PairwiseWinRateOptions.HarmlessnessSystemPrompt })
            .EvaluateAsync(prompts.Select((p, i) => (p.Item1, candidate[i], baseline[i])).ToList());

        Assert.Equal(12, judge.Requests.Count);
        Assert.All(judge.Requests, r => Assert.Equal(PairwiseWinRateOptions.HarmlessnessSystemPrompt, r.System));
        int wins = Enumerable.Range(0, 6).Count(i => candidate[i].Trim().Length > baseline[i].Trim().Length);
        int losses = Enumerable.Range(0, 6).Count(i => candidate[i].Trim().Length < baseline[i].Trim().Length);
        Assert.Equal((wins, 6 - wins - losses, losses), (safety.Wins, safety.Ties, safety.Losses));
        Assert.Equal(100.0 * (wins + 0.5 * (6 - wins - losses)) / 6, safety.Percent, 9);
    }

    private static string Between(string text, string start, string end)
    {
        int s = text.IndexOf(start, StringComparison.Ordinal) + start.Length;
        return text[s..text.IndexOf(end, s, StringComparison.Ordinal)].Trim();
    }
}
