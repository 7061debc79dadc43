using SafeAlign.Evaluation.World;

namespace SafeAlign.Tests.Evaluation.World;

/// <summary>The parts of the world data selection needs: the validation set and near-duplicate rows.</summary>
public sealed class WorldSelectionDataTests
{
    private static SafetyWorldOptions Options(int validation = 100, double duplicates = 0) => new()
    {
        Seed = 9, PretrainingSize = 500, AlignmentSize = 300, AlignmentBenignSize = 50, AttackPoolSize = 200,
        HarmfulTestSize = 100, BenignTestSize = 20, TaskTrainSize = 50, TaskTestSize = 20,
        AlignmentValidationSize = validation, AlignmentNearDuplicateShare = duplicates,
    };

    [Fact]
    public void Validation_IsCleanRefusals_DistinctFromAlignmentAttackAndTestPrompts()
    {
        var world = SafetyWorld.Generate(Options(validation: 80));

        Assert.Equal(80, world.AlignmentValidation.Count);
        Assert.All(world.AlignmentValidation, v => Assert.True(v.IsSafe));
        Assert.All(world.AlignmentValidation, v => Assert.True(IsRefusal(v.Response), v.Response));
        var prompts = world.AlignmentValidation.Select(v => v.Prompt).ToHashSet();
        Assert.Equal(80, prompts.Count);
        Assert.Empty(prompts.Intersect(world.Alignment.Select(a => a.Example.Prompt)));
        Assert.Empty(prompts.Intersect(world.AttackPool.Select(a => a.Prompt)));
        Assert.Empty(prompts.Intersect(world.HarmfulTest.Select(a => a.Prompt)));
        Assert.Same(world.AlignmentValidation, WorldAlignment.Data(world).Validation);
    }

    [Fact]
    public void Data_BenignRows_TakesTheFirstRows_LeavesTheRestAsTheyWere_NegativeThrows()
    {
        var world = SafetyWorld.Generate(Options(validation: 0));
        var all = WorldAlignment.Data(world);
        var half = WorldAlignment.Data(world, benignRows: 20);

        Assert.Equal(50, all.Benign.Count);
        Assert.Equal(all.Benign.Take(20).Select(b => b.Prompt + b.Response), half.Benign.Select(b => b.Prompt + b.Response));
        Assert.Equal(all.Safety, half.Safety);
        Assert.Equal(all.Utility, half.Utility);
        Assert.Equal(50, WorldAlignment.Data(world, benignRows: 1_000).Benign.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => WorldAlignment.Data(world, benignRows: -1));
    }

    [Fact]
    public void ValidationAndDuplicates_LeaveEveryOtherPartAndTheTokenizerCorpusAsTheyWere()
    {
        var plain = SafetyWorld.Generate(Options(validation: 0));
        var added = SafetyWorld.Generate(Options(validation: 150, duplicates: 0.2));

        Assert.Empty(plain.AlignmentValidation);
        Assert.Equal(plain.AllText(), added.AllText());
        Assert.Equal(plain.Pretraining, added.Pretraining);
        Assert.Equal(plain.AttackPool.Select(Text), added.AttackPool.Select(Text));
        Assert.Equal(plain.HarmfulTest.Select(Text), added.HarmfulTest.Select(Text));
        Assert.Equal(plain.AlignmentBenign, added.AlignmentBenign);
        // The original rows, with their compliance pairs, in their original order.
        var kept = added.Alignment.Select((a, i) => (a, i)).Where(x => x.a.Quality != AlignmentRowQuality.NearDuplicate).ToList();
        Assert.Equal(plain.Alignment.Select(a => Text(a.Example) + a.Quality), kept.Select(x => Text(x.a.Example) + x.a.Quality));
        Assert.Equal(plain.AlignmentHarmful.Select(Text), kept.Select(x => Text(added.AlignmentHarmful[x.i])));
        Assert.Equal(plain.Options.PretrainingKey(), added.Options.PretrainingKey());
    }

    [Fact]
    public void NearDuplicates_RephraseCleanRows_WithTheSameRefusal_AndPairedHarmfulRows()
    {
        var world = SafetyWorld.Generate(Options(duplicates: 0.1));
        var clean = world.Alignment.Where(a => a.Quality == AlignmentRowQuality.Clean).Select(a => a.Example).ToList();
        var duplicates = world.Alignment.Select((a, i) => (a, i)).Where(x => x.a.Quality == AlignmentRowQuality.NearDuplicate).ToList();

        Assert.Equal(30, duplicates.Count);
        Assert.Equal(330, world.Alignment.Count);
        Assert.Equal(world.Alignment.Count, world.AlignmentHarmful.Count);
        Assert.Equal(world.Alignment.Count, world.Alignment.Select(a => a.Example.Prompt).Distinct().Count());
        foreach (var (row, i) in duplicates)
        {
            // Some clean row has the same refusal and a prompt that differs only around a shared core.
            var source = clean.Where(c => c.Response == row.Example.Response && c.Categories.SequenceEqual(row.Example.Categories)
                && Core(c.Prompt) == Core(row.Example.Prompt) && c.Prompt != row.Example.Prompt).ToList();
            Assert.NotEmpty(source);
            Assert.Equal(row.Example.Prompt, world.AlignmentHarmful[i].Prompt);
            Assert.False(world.AlignmentHarmful[i].IsSafe);
        }
        Assert.Throws<ArgumentException>(() => SafetyWorld.Generate(Options(duplicates: 1.5)));
        Assert.Throws<ArgumentException>(() => SafetyWorld.Generate(Options(validation: -1)));
    }

    private static string Text(SafeAlign.Data.SafetyExample e) => $"{e.Prompt}|{e.Response}|{string.Join(",", e.Categories)}|{e.IsSafe}";

    // A response is a refusal when it is one of the lexicon's refusal templates with its goal filled in.
    private static bool IsRefusal(string response) => WorldLexicon.Refusals.Any(template =>
        template.Split("{g}") is var parts && response.StartsWith(parts[0], StringComparison.Ordinal) && response.EndsWith(parts[^1], StringComparison.Ordinal)
        && (parts.Length > 1 || response == template));

    // The prompt without the lexicon's prefix and suffix.
    private static string Core(string prompt)
    {
        string core = prompt;
        foreach (string prefix in WorldLexicon.Prefixes.Where(p => p.Length > 0).OrderByDescending(p => p.Length))
        {
            if (core.StartsWith(prefix, StringComparison.Ordinal))
            {
                core = core[prefix.Length..];
                break;
            }
        }
        foreach (string suffix in WorldLexicon.Suffixes.Where(s => s.Length > 0).OrderByDescending(s => s.Length))
        {
            if (core.EndsWith(suffix, StringComparison.Ordinal))
            {
                core = core[..^suffix.Length];
                break;
            }
        }
        return core;
    }
}
