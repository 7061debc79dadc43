using System.Text.Json.Nodes;
using SafeAlign.Cli;
using SafeAlign.Cli.Files;
using SafeAlign.Data;
using SafeAlign.Evaluation;
using SafeAlign.Evaluation.World;
using SafeAlign.Models;
using SafeAlign.Tokenization;

namespace SafeAlign.Tests.Cli;

[Collection(CliCollection.Name)]
public sealed class WorldCommandTests(CliFixture fixture)
{
    private static readonly DataLoader Loader = new();

    private static SafetyWorld FixtureWorld() => Defenses.DefenseFixture.World();

    [Fact]
    public void World_Export_EverySplitReadsBackEqual()
    {
        var world = FixtureWorld();
        var manifest = JsonNode.Parse(File.ReadAllText(fixture.World("world.json")))!.AsObject();
        Assert.Equal(SafetyWorld.Version, (int)manifest["world_version"]!);
        Assert.Equal(5, (long)manifest["seed"]!);

        var alignment = Loader.Load(fixture.World("alignment.jsonl"), new AlignmentRowFormat()).Examples;
        Assert.Equal(world.Alignment.Count, alignment.Count);
        for (int i = 0; i < alignment.Count; i++)
        {
            AssertSame(world.Alignment[i].Example, alignment[i].Example);
            Assert.Equal(world.Alignment[i].Quality, alignment[i].Quality);
        }
        Assert.Contains(alignment, r => r.Quality != AlignmentRowQuality.Clean);

        // The BeaverTails files are plain BeaverTails rows to the library's own format as well.
        var plain = Loader.Load(fixture.World("attack-pool.jsonl"), new BeaverTailsFormat()).Examples;
        Assert.Equal(world.AttackPool.Count, plain.Count);
        for (int i = 0; i < plain.Count; i++)
            AssertSame(world.AttackPool[i], plain[i]);
        AssertSafety(world.AlignmentHarmful, "alignment-harmful.jsonl");
        AssertSafety(world.AlignmentValidation, "alignment-validation.jsonl");
        AssertSafety(world.HarmfulTest, "harmful-test.jsonl");
        AssertChat(world.AlignmentBenign, "alignment-benign.jsonl");
        AssertChat(world.BenignTest, "benign-test.jsonl");
        Assert.Equal(WorldAlignment.Data(world).Utility, Loader.Load(fixture.World("alignment-utility.jsonl"), new TaskRowFormat()).Examples);
        Assert.Equal(world.Pretraining, Loader.Load(fixture.World("pretraining.jsonl"), new TaskRowFormat()).Examples);
        foreach (string task in SafetyWorld.Tasks)
        {
            Assert.Equal(world.TaskTrain[task], Loader.Load(fixture.World($"tasks/{task}-train.jsonl"), new TaskRowFormat()).Examples);
            Assert.Equal(world.TaskTest[task], Loader.Load(fixture.World($"tasks/{task}-test.jsonl"), new TaskRowFormat()).Examples);
        }

        foreach (var (file, rows) in manifest["files"]!.AsObject())
            Assert.Equal((int)rows!, File.ReadLines(fixture.World(file)).Count());
    }

    [Fact]
    public void World_UserData_IsTheAttacksMixWithHarmfulRowsFlaggedFirst()
    {
        var world = FixtureWorld();
        var rows = Loader.Load(fixture.World("user-sst2.jsonl"), new InstructionRowFormat()).Examples;
        var attack = new HarmfulFinetuneAttack(new HarmfulFinetuneAttackOptions { Samples = 8, HarmfulRatio = 0.25, Seed = 5 });
        var (items, harmful) = attack.BuildUserData(world.AttackPool, world.TaskTrain["sst2"]);

        Assert.Equal(2, harmful);
        Assert.Equal(items.Count, rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(items[i], (rows[i].Instruction, rows[i].Input, rows[i].Response));
            Assert.Equal(i < harmful, rows[i].Harmful);
        }
    }

    [Fact]
    public void World_SameSeed_SameFiles_OtherSeed_OtherFiles()
    {
        string again = fixture.NewPath("world"), other = fixture.NewPath("world");
        Assert.Equal(ExitCodes.Ok, fixture.Run("world", "--seed", CliFixture.WorldSeed, "--out", again).Code);
        Assert.Equal(ExitCodes.Ok, fixture.Run("world", "--seed", "6", "--out", other).Code);

        Assert.Equal(File.ReadAllText(fixture.World("alignment.jsonl")), File.ReadAllText(Path.Combine(again, "alignment.jsonl")));
        Assert.NotEqual(File.ReadAllText(fixture.World("alignment.jsonl")), File.ReadAllText(Path.Combine(other, "alignment.jsonl")));
        Assert.Empty(Directory.EnumerateFiles(again, "*.tmp-*", SearchOption.AllDirectories));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void World_BaseModel_TrainsIntoTheConfiguredCacheAndCopiesALoadableFolder()
    {
        string cache = fixture.NewPath("cache"), output = fixture.NewPath("world"), settings = fixture.NewPath("settings") + ".json";
        File.WriteAllText(settings, CliFixture.SettingsJson.TrimEnd().TrimEnd('}') + $$"""
              "WorldBaseModel": { "Layers": 1, "Hidden": 16, "Heads": 2, "Intermediate": 32, "VocabularySize": 512,
                                  "Steps": 2, "BatchSize": 4, "CacheDirectory": {{JsonValue.Create(cache).ToJsonString()}} },
            }
            """);

        var run = CliFixture.Invoke(["world", "--seed", CliFixture.WorldSeed, "--out", output, "--base-model", "--settings", settings]);

        Assert.True(run.Code == ExitCodes.Ok, run.ToString());
        string baseFolder = Path.Combine(output, "base");
        Assert.Equal(Path.GetFullPath(baseFolder), (string?)run.Json["base_model"]);
        Assert.Single(Directory.EnumerateDirectories(cache));
        using var model = CausalLM.FromPretrained(baseFolder, new ModelOptions { Device = new() { Device = "cpu" } });
        Assert.Equal(1, model.Config.NumHiddenLayers);
        Assert.Equal(16, model.Config.HiddenSize);
        Assert.Equal(model.Config.VocabSize, HfTokenizer.FromFolder(baseFolder).VocabularySize);
    }

    private void AssertSafety(IReadOnlyList<SafetyExample> expected, string file)
    {
        var actual = Loader.Load(fixture.World(file), new SafetyRowFormat(safeWhenUnlabelled: true)).Examples;
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < actual.Count; i++)
            AssertSame(expected[i], actual[i]);
    }

    private void AssertChat(IReadOnlyList<ChatExample> expected, string file) =>
        Assert.Equal(expected, Loader.Load(fixture.World(file), new ChatFormat()).Examples);

    private static void AssertSame(SafetyExample expected, SafetyExample actual)
    {
        Assert.Equal(expected.Prompt, actual.Prompt);
        Assert.Equal(expected.Response, actual.Response);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.Equal(expected.IsSafe, actual.IsSafe);
    }
}
