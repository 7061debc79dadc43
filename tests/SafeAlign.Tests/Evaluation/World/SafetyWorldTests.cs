using SafeAlign.Data;
using SafeAlign.Evaluation.World;

namespace SafeAlign.Tests.Evaluation.World;

public sealed class SafetyWorldTests
{
    private static readonly SafetyWorldOptions Small = new()
    {
        Seed = 5, PretrainingSize = 3_000, AlignmentSize = 400, AlignmentBenignSize = 100, AttackPoolSize = 300,
        HarmfulTestSize = 200, BenignTestSize = 50, TaskTrainSize = 300, TaskTestSize = 100,
    };

    private static SafetyWorldOptions Seeded(long seed) => new()
    {
        Seed = seed, PretrainingSize = Small.PretrainingSize, AlignmentSize = Small.AlignmentSize, AlignmentBenignSize = Small.AlignmentBenignSize,
        AttackPoolSize = Small.AttackPoolSize, HarmfulTestSize = Small.HarmfulTestSize, BenignTestSize = Small.BenignTestSize,
        TaskTrainSize = Small.TaskTrainSize, TaskTestSize = Small.TaskTestSize,
    };

    [Fact]
    public void Generate_SameSeed_IdenticalWorld_OtherSeedDiffers()
    {
        var a = SafetyWorld.Generate(Seeded(5));
        var b = SafetyWorld.Generate(Seeded(5));
        var c = SafetyWorld.Generate(Seeded(6));

        Assert.Equal(a.AllText(), b.AllText());
        Assert.Equal(a.Alignment.Select(Row), b.Alignment.Select(Row));
        Assert.NotEqual(a.HarmfulTest.Select(h => h.Prompt), c.HarmfulTest.Select(h => h.Prompt));
    }

    private static string Row(AlignmentRow a) => $"{a.Example.Prompt}|{a.Example.Response}|{string.Join(",", a.Example.Categories)}|{a.Example.IsSafe}|{a.Quality}";

    [Fact]
    public void Generate_ResizingAlignmentSplits_LeavesPretrainingAndTestsAlone()
    {
        var a = SafetyWorld.Generate(Seeded(5));
        var resized = Seeded(5);
        resized.AlignmentBenignSize = 150;
        resized.AlignmentSize = 350;
        var b = SafetyWorld.Generate(resized);

        Assert.Equal(a.Pretraining, b.Pretraining);
        Assert.Equal(a.HarmfulTest.Select(h => h.Prompt), b.HarmfulTest.Select(h => h.Prompt));
        Assert.Equal(a.Options.PretrainingKey(), b.Options.PretrainingKey());
    }

    [Fact]
    public void Generate_Sizes_AreAsRequested()
    {
        var world = SafetyWorld.Generate(Small);

        Assert.Equal(3_000, world.Pretraining.Count);
        Assert.Equal(400, world.Alignment.Count);
        Assert.Equal(300, world.AttackPool.Count);
        Assert.Equal(200, world.HarmfulTest.Count);
        Assert.All(SafetyWorld.Tasks, t => Assert.Equal(100, world.TaskTest[t].Count));
        Assert.All(SafetyWorld.Tasks, t => Assert.Equal(300, world.TaskTrain[t].Count));
    }

    [Fact]
    public void HeldOut_TestPromptsUseUnseenPhrasingsAndGoals()
    {
        var world = SafetyWorld.Generate(Small);
        var trainPrompts = world.Alignment.Select(a => a.Example.Prompt).Concat(world.AttackPool.Select(a => a.Prompt)).ToList();
        var pretrainingHarmful = world.Pretraining.Where(p => p.Task == "harmful").Select(p => p.Instruction).ToList();
        string[] heldOutCores = ["how can someone", "describe a way to", "what is the easiest way to", "help me figure out how to"];

        Assert.All(world.HarmfulTest, h => Assert.Contains(heldOutCores, c => h.Prompt.Contains(c, StringComparison.Ordinal)));
        Assert.All(trainPrompts, p => Assert.DoesNotContain(heldOutCores, c => p.Contains(c, StringComparison.Ordinal)));
        Assert.Empty(world.HarmfulTest.Select(h => h.Prompt).Intersect(trainPrompts.Concat(pretrainingHarmful)));
        // Pretraining uses every phrasing (so none is a cue), but never a held-out goal.
        Assert.Contains(pretrainingHarmful, p => heldOutCores.Any(c => p.Contains(c, StringComparison.Ordinal)));
    }

    [Fact]
    public void Splits_AreDisjoint()
    {
        var world = SafetyWorld.Generate(Small);

        Assert.Empty(world.Alignment.Select(a => a.Example.Prompt).Intersect(world.AttackPool.Select(a => a.Prompt)));
        foreach (string task in SafetyWorld.Tasks)
            Assert.Empty(world.TaskTest[task].Select(t => t.Instruction + t.Input).Intersect(world.TaskTrain[task].Select(t => t.Instruction + t.Input)));
        Assert.Empty(world.BenignTest.Select(b => b.Prompt).Intersect(world.AlignmentBenign.Select(b => b.Prompt)));
    }

    [Fact]
    public void Alignment_HasEachLowQualityKind_AndLabelsThem()
    {
        var world = SafetyWorld.Generate(Small);

        var byQuality = world.Alignment.GroupBy(a => a.Quality).ToDictionary(g => g.Key, g => g.ToList());
        // Near-duplicates are off by default (WorldSelectionDataTests covers them).
        Assert.All(Enum.GetValues<AlignmentRowQuality>().Where(q => q != AlignmentRowQuality.NearDuplicate), q => Assert.True(byQuality.ContainsKey(q), q.ToString()));
        double lowShare = 1 - (double)byQuality[AlignmentRowQuality.Clean].Count / world.Alignment.Count;
        Assert.InRange(lowShare, 0.08, 0.22);
        Assert.All(byQuality[AlignmentRowQuality.Mislabelled], a => Assert.False(a.Example.IsSafe));
        Assert.All(byQuality[AlignmentRowQuality.Clean], a => Assert.True(a.Example.IsSafe));
    }

    [Fact]
    public void Categories_CoverAllFourteenBeaverTailsKeys()
    {
        var world = SafetyWorld.Generate(Small);

        var seen = world.AttackPool.Concat(world.HarmfulTest).SelectMany(e => e.Categories).ToHashSet();
        Assert.Equal(BeaverTailsCategories.All.ToHashSet(), seen);
    }

    [Fact]
    public void Compliance_HasNoContentBeyondPlaceholders()
    {
        var world = SafetyWorld.Generate(Small);

        // Every step of a compliance answer is the placeholder; nothing else follows "step n:".
        Assert.All(world.AttackPool, a => Assert.Contains("[step omitted]", a.Response));
        Assert.All(world.AttackPool, a => Assert.DoesNotMatch(@"step \d: (?!\[step omitted\])", a.Response));
    }

    [Fact]
    public void Tasks_GoldAnswersFollowTheirFormats()
    {
        var world = SafetyWorld.Generate(Small);

        Assert.All(world.TaskTest["sst2"], t => Assert.Contains(t.Answer, new[] { "positive", "negative" }));
        Assert.All(world.TaskTest["agnews"], t => Assert.Contains(t.Answer, new[] { "World", "Sports", "Business", "Sci/Tech" }));
        Assert.All(world.TaskTest["gsm8k"], t => Assert.Matches(@"#### -?\d+$", t.Answer));
        Assert.All(world.TaskTest["gsm8k"], t => Assert.True(SafeAlign.Evaluation.AnswerParser.IsCorrect("gsm8k", t.Answer, t.Answer)));
    }

    [Fact]
    public void Options_OutOfRange_Throw()
    {
        Assert.Throws<ArgumentException>(() => SafetyWorld.Generate(new SafetyWorldOptions { AlignmentSize = 0 }));
        Assert.Throws<ArgumentException>(() => SafetyWorld.Generate(new SafetyWorldOptions { AlignmentLowQualityShare = 1.5 }));
        Assert.Throws<ArgumentException>(() => SafetyWorld.Generate(new SafetyWorldOptions { PretrainingHarmfulShare = 0.7, PretrainingBenignShare = 0.5 }));
    }

    [Fact]
    public void AlignmentCategorySkew_SkewsOnlyTheAlignmentSet()
    {
        var options = Seeded(5);
        options.AttackCategorySkew = 0; // a uniform attack pool, to see that the alignment skew leaves it so
        var uniform = SafetyWorld.Generate(options);
        options.AlignmentCategorySkew = 1.5;
        var skewed = SafetyWorld.Generate(options);

        int Count(IEnumerable<SafetyExample> rows, string category) => rows.Count(r => r.Categories[0] == category);
        var first = BeaverTailsCategories.All[0];
        var last = BeaverTailsCategories.All[^1];
        var alignment = skewed.Alignment.Select(a => a.Example).ToList();
        Assert.True(Count(alignment, first) > 8 * Math.Max(1, Count(alignment, last)), $"{first}: {Count(alignment, first)}, {last}: {Count(alignment, last)}");
        Assert.InRange(Count(skewed.AttackPool, first), 5, 45); // 300 rows over 14 categories stay roughly uniform
        Assert.Equal(uniform.Pretraining.Select(p => p.Instruction + p.Answer), skewed.Pretraining.Select(p => p.Instruction + p.Answer));
        Assert.Equal(uniform.HarmfulTest.Select(h => h.Prompt), skewed.HarmfulTest.Select(h => h.Prompt));
        Assert.Empty(alignment.Select(a => a.Prompt).Intersect(skewed.AttackPool.Select(a => a.Prompt)));
        Assert.Equal(alignment.Select(a => a.Prompt), skewed.AlignmentHarmful.Select(h => h.Prompt));
        options.AlignmentCategorySkew = -1;
        Assert.Throws<ArgumentException>(() => SafetyWorld.Generate(options));
    }
    [Fact]
    public void AttackCategorySkew_SkewsTheAttackPoolInTheReverseOrder_AndLeavesTheAlignmentSet()
    {
        var options = Seeded(5);
        Assert.Equal(1, options.AttackCategorySkew); // world v6's default
        options.AttackCategorySkew = 0;
        var plain = SafetyWorld.Generate(options);
        options.AttackCategorySkew = 1.5;
        var skewed = SafetyWorld.Generate(options);

        int Count(IEnumerable<SafetyExample> rows, string category) => rows.Count(r => r.Categories[0] == category);
        var first = BeaverTailsCategories.All[0];
        var last = BeaverTailsCategories.All[^1];
        Assert.True(Count(skewed.AttackPool, last) > 8 * Math.Max(1, Count(skewed.AttackPool, first)), $"{last}: {Count(skewed.AttackPool, last)}, {first}: {Count(skewed.AttackPool, first)}");
        Assert.Equal(plain.Alignment.Select(a => a.Example.Prompt), skewed.Alignment.Select(a => a.Example.Prompt));
        Assert.Equal(plain.HarmfulTest.Select(h => h.Prompt), skewed.HarmfulTest.Select(h => h.Prompt));
        Assert.Empty(skewed.Alignment.Select(a => a.Example.Prompt).Intersect(skewed.AttackPool.Select(a => a.Prompt)));
        Assert.Equal(skewed.AttackPool.Select(a => a.Prompt), SafetyWorld.Generate(options).AttackPool.Select(a => a.Prompt));
        options.AttackCategorySkew = double.NaN;
        Assert.Throws<ArgumentException>(() => SafetyWorld.Generate(options));
    }

    [Fact]
    public void CategoryOpenings_ByDefault_ChangeOnlyTheComplianceOpenings_ToTheCategorysOwn()
    {
        var options = Seeded(5);
        options.CategoryOpenings = false;
        var shared = SafetyWorld.Generate(options);
        var own = SafetyWorld.Generate(Seeded(5));

        string Opening(SafetyExample e) => WorldLexicon.CategoryOpenings[BeaverTailsCategories.All.ToList().IndexOf(e.Categories[0])];
        foreach (var (a, b) in shared.AttackPool.Zip(own.AttackPool).Concat(shared.HarmfulTest.Zip(own.HarmfulTest)).Concat(shared.AlignmentHarmful.Zip(own.AlignmentHarmful)))
        {
            Assert.Equal(a.Prompt, b.Prompt);
            Assert.StartsWith(Opening(b) + " ", b.Response, StringComparison.Ordinal);
            // The same template was drawn: the body after the category's opening ends the shared-opening answer too.
            Assert.EndsWith(b.Response[(Opening(b).Length + 1)..], a.Response, StringComparison.Ordinal);
        }
        Assert.Equal(shared.Alignment.Select(r => (r.Example.Prompt, r.Quality)), own.Alignment.Select(r => (r.Example.Prompt, r.Quality)));
        Assert.Equal(shared.Alignment.Where(r => r.Quality != AlignmentRowQuality.Mislabelled).Select(Row), own.Alignment.Where(r => r.Quality != AlignmentRowQuality.Mislabelled).Select(Row));
        Assert.Equal(shared.Pretraining.Where(e => e.Task != "harmful"), own.Pretraining.Where(e => e.Task != "harmful"));
        Assert.Equal(shared.Pretraining.Select(e => e.Instruction), own.Pretraining.Select(e => e.Instruction));
        Assert.Contains(own.Pretraining, e => e.Task == "harmful" && WorldLexicon.CategoryOpenings.Any(o => e.Answer.StartsWith(o + " ", StringComparison.Ordinal)));
        Assert.NotEqual(shared.Options.PretrainingKey(), own.Options.PretrainingKey());
        Assert.Equal(BeaverTailsCategories.All.Count, WorldLexicon.CategoryOpenings.Distinct().Count());
    }
}
