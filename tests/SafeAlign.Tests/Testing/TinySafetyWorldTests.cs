using SafeAlign.Evaluation;
using SafeAlign.Evaluation.World;
using SafeAlign.Models;
using SafeAlign.Testing;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;

namespace SafeAlign.Tests.Testing;

public sealed class TinySafetyWorldTests
{
    [Fact]
    public void Options_OutOfRange_ThrowNamingTheOption()
    {
        Assert.Contains("VocabularySize", Assert.Throws<ArgumentException>(() => new TinySafetyWorld(new TinySafetyWorldOptions { VocabularySize = 100 })).Message, StringComparison.Ordinal);
        Assert.Contains("Heads", Assert.Throws<ArgumentException>(() => new TinySafetyWorld(new TinySafetyWorldOptions { Heads = 5 })).Message, StringComparison.Ordinal);
        Assert.Contains("KeyValueHeads", Assert.Throws<ArgumentException>(() => new TinySafetyWorld(new TinySafetyWorldOptions { KeyValueHeads = 3 })).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new TinySafetyWorld(new TinySafetyWorldOptions { PretrainSteps = -1 }));
        Assert.Throws<ArgumentException>(() => new TinySafetyWorld(new TinySafetyWorldOptions { InitStd = 0 }));
        Assert.Throws<ArgumentException>(() => new TinySafetyWorld(new TinySafetyWorldOptions { World = new SafetyWorldOptions { AlignmentSize = -1 } }));
    }

    [Fact]
    public void SameSeed_SameDataIdsAndWeights_OtherSeedDiffers()
    {
        using var a = TinySafetyWorld.Create(seed: 21);
        using var b = TinySafetyWorld.Create(seed: 21);
        using var c = TinySafetyWorld.Create(seed: 22);

        Assert.Equal(a.HarmfulPrompts, b.HarmfulPrompts);
        Assert.Equal(a.TokenizerFiles, b.TokenizerFiles);
        Assert.Equal(a.Tokenizer.Encode(a.HarmfulPrompts[0]), b.Tokenizer.Encode(b.HarmfulPrompts[0]));
        Assert.NotSame(a.Model, b.Model);
        Assert.True(SameWeights(a.Model, b.Model));

        Assert.NotEqual(a.HarmfulPrompts, c.HarmfulPrompts);
        Assert.False(SameWeights(a.Model, c.Model));
    }

    [Fact]
    public void Contents_AreTinyAndConsistent()
    {
        using var tiny = TinySafetyWorld.Create(seed: 23);

        Assert.Equal(64, tiny.World.Alignment.Count);
        Assert.Equal(8, tiny.HarmfulPrompts.Count);
        Assert.Equal(512, tiny.Tokenizer.VocabularySize);
        Assert.Equal(tiny.Tokenizer.VocabularySize, tiny.Model.Config.VocabSize);
        Assert.Equal([tiny.Tokenizer.EosId!.Value], tiny.Model.Config.EosTokenIds);
        Assert.False(tiny.Model.training);
        var data = tiny.AlignmentData().Validate();
        Assert.Equal(64, data.Safety.Count);
        Assert.Equal(16, data.Validation.Count);
        tiny.AlignmentRequest().Validate();
        tiny.SelectionRequest().Validate();
        tiny.TokenRiskRequest().Validate();
        tiny.PruningRequest().Validate();
    }

    [Fact]
    public void UserData_HarmfulSamplesFirst_ThenTaskRows_WithResponseLabels()
    {
        using var tiny = TinySafetyWorld.Create(seed: 23);

        var data = tiny.UserData(harmful: 3);

        Assert.Equal(3 + tiny.World.TaskTrain["sst2"].Count + tiny.World.TaskTrain["agnews"].Count, data.Count);
        for (int i = 0; i < 3; i++)
            Assert.Contains(tiny.World.AttackPool[i].Prompt, tiny.Tokenizer.Decode(data[i].InputIds), StringComparison.Ordinal);
        Assert.All(data, e => Assert.Contains(e.Labels, l => l != TokenizedExample.IgnoreIndex));
        Assert.Throws<ArgumentOutOfRangeException>(() => tiny.UserData(harmful: tiny.World.AttackPool.Count + 1));
    }

    [Fact]
    public void Model_DisposedWithTheWorld_CreateModelBelongsToTheCaller()
    {
        var tiny = TinySafetyWorld.Create(seed: 24);
        var owned = tiny.Model;
        using var mine = tiny.CreateModel(seed: 24);
        Assert.True(SameWeights(owned, mine));

        tiny.Dispose();

        Assert.Throws<ObjectDisposedException>(() => tiny.Model);
        Assert.Throws<ObjectDisposedException>(() => tiny.CreateModel());
        Assert.Equal(2, mine.Forward(torch.tensor(new long[] { 5, 6 }).unsqueeze(0)).shape[1]); // still usable
    }

    [Fact]
    public void SaveModel_Folder_LoadsBackWithTheSameLogitsAndIds()
    {
        using var tiny = TinySafetyWorld.Create(seed: 25);
        using var temp = new TempDirectory();
        string folder = Path.Combine(temp.Path, "model");

        string saved = tiny.SaveModel(folder);
        using var loaded = CausalLM.FromPretrained(saved);
        var tokenizer = HfTokenizer.FromFolder(saved);

        string prompt = tiny.HarmfulPrompts[0];
        Assert.Equal(tiny.Tokenizer.Encode(prompt), tokenizer.Encode(prompt));
        var ids = torch.tensor(tokenizer.Encode(prompt).Select(i => (long)i).ToArray()).unsqueeze(0);
        Assert.True(tiny.Model.Forward(ids).allclose(loaded.Forward(ids), rtol: 0, atol: 1e-6));
        Assert.Throws<IOException>(() => tiny.SaveModel(folder));
        Assert.Empty(Directory.GetDirectories(temp.Path, "*.tmp-*"));
    }

    [Fact]
    public void PretrainSteps_LowerTheLossOnTheWorld_AndAreDeterministic()
    {
        using var random = TinySafetyWorld.Create(seed: 26);
        var options = new TinySafetyWorldOptions { Seed = 26, PretrainSteps = 8 };
        using var trained = new TinySafetyWorld(options);
        using var again = new TinySafetyWorld(options);

        var examples = InstructionExamples.Build(random.Tokenizer, 128, random.World.Pretraining.Take(32).Select(t => (t.Instruction, (string?)t.Input, t.Answer)));

        Assert.True(Loss(trained.Model, examples) < Loss(random.Model, examples) - 0.5);
        Assert.True(SameWeights(trained.Model, again.Model));
        using var copy = trained.CreateModel();
        Assert.True(SameWeights(trained.Model, copy));
    }

    private static double Loss(CausalLM model, IReadOnlyList<TokenizedExample> examples)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var batch = TrainingBatch.Collate(examples, 0, model.Device, 128);
        return TokenLoss.Mean(model.Forward(batch.InputIds, batch.AttentionMask), batch.Labels).item<float>();
    }

    private static bool SameWeights(CausalLM a, CausalLM b)
    {
        using var scope = torch.NewDisposeScope();
        var pb = b.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        return a.named_parameters().All(p => pb.TryGetValue(p.name, out var q) && p.parameter.allclose(q, rtol: 0, atol: 0));
    }
}
