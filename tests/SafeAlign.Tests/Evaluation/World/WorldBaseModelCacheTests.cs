using SafeAlign.Evaluation.World;

namespace SafeAlign.Tests.Evaluation.World;

public sealed class WorldBaseModelCacheTests
{
    private static SafetyWorldOptions Small(int alignmentBenign = 100) => new()
    {
        Seed = 5, PretrainingSize = 3_000, AlignmentSize = 400, AlignmentBenignSize = alignmentBenign, AttackPoolSize = 300,
        HarmfulTestSize = 200, BenignTestSize = 50, TaskTrainSize = 300, TaskTestSize = 100,
    };

    private static readonly WorldBaseModelOptions Recipe = new() { CacheDirectory = "/cache" };

    [Fact]
    public void CacheFolder_SameWorldAndRecipe_SameFolder()
    {
        string a = WorldBaseModel.CacheFolder(SafetyWorld.Generate(Small()), Recipe);
        string b = WorldBaseModel.CacheFolder(SafetyWorld.Generate(Small()), Recipe);

        Assert.Equal(a, b);
        Assert.StartsWith(Path.Combine("/cache", $"world-v{SafetyWorld.Version}-seed5-"), a);
    }

    [Fact]
    public void CacheFolder_WorldsThatShareThePretrainingKeyButNotTheTokenizerCorpus_GetTheirOwnFolders()
    {
        // The quickstart's world differs from the default only in its alignment splits: same pretraining pairs, same
        // PretrainingKey, but its text enters the tokenizer corpus, so it trains another tokenizer and model.
        var plain = SafetyWorld.Generate(Small());
        var resized = SafetyWorld.Generate(Small(alignmentBenign: 150));
        Assert.Equal(plain.Options.PretrainingKey(), resized.Options.PretrainingKey());
        Assert.NotEqual(WorldBaseModel.TokenizerCorpus(plain), WorldBaseModel.TokenizerCorpus(resized));

        Assert.NotEqual(WorldBaseModel.CacheFolder(plain, Recipe), WorldBaseModel.CacheFolder(resized, Recipe));
    }

    [Fact]
    public void CacheFolder_OtherRecipe_OtherFolder()
    {
        var world = SafetyWorld.Generate(Small());

        Assert.NotEqual(WorldBaseModel.CacheFolder(world, Recipe),
            WorldBaseModel.CacheFolder(world, new WorldBaseModelOptions { CacheDirectory = "/cache", Steps = 451 }));
    }

    [Fact]
    public void CacheFolder_NullWorld_Throws() =>
        Assert.Throws<ArgumentNullException>(() => WorldBaseModel.CacheFolder(null!, Recipe));
}
