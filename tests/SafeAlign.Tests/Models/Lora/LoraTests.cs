using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Models.Safetensors;
using SafeAlign.Training;
using TorchSharp;

namespace SafeAlign.Tests.Models.Lora;

public sealed class LoraTests
{
    private static LoraConfig AllProjections(long seed = 5) => new() { Rank = 4, Alpha = 8, TargetModules = [.. LoraConfig.AllProjections], Seed = seed };

    private static void RandomizeB(CausalLM model, long seed)
    {
        using var noGrad = torch.no_grad();
        var g = new torch.Generator((ulong)seed);
        foreach (var (_, linear) in model.Projections())
            linear.LoraB?.Weight.copy_(torch.randn(linear.LoraB.Weight.shape, generator: g) * 0.1);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Validate_BadRank_Throws(int rank)
    {
        Assert.Throws<ArgumentException>(() => new LoraConfig { Rank = rank }.Validate());
    }

    [Fact]
    public void Validate_UnknownTarget_NamesIt()
    {
        var e = Assert.Throws<ArgumentException>(() => new LoraConfig { TargetModules = ["qkv"] }.Validate());
        Assert.Contains("'qkv'", e.Message);
    }

    [Fact]
    public void Attach_LeavesOutputUnchanged_AndOnlyAdapterTrains()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create();
        var ids = TinyModels.Ids(3);
        var before = model.Forward(ids).detach();

        model.AttachLora(AllProjections());
        var logits = model.Forward(ids);
        TokenLoss.Mean(logits, ids).backward();

        Assert.True(torch.allclose(before, logits, 0, 0));
        var trainable = model.TrainableParameters().Select(p => p.Name).ToList();
        Assert.Equal(2 * 7 * 2, trainable.Count); // A and B on 7 projections in 2 layers
        Assert.All(trainable, n => Assert.Matches(@"\.lora_[AB]\.weight$", n));
        Assert.All(model.named_parameters().Where(p => !p.name.Contains("lora_")), p => Assert.Null(p.parameter.grad));
        Assert.All(model.TrainableParameters(), p => Assert.NotNull(p.Parameter.grad));
    }

    [Fact]
    public void Attach_SameSeed_SameAInit()
    {
        using var scope = torch.NewDisposeScope();
        using var a = TinyModels.Create();
        using var b = TinyModels.Create();
        a.AttachLora(AllProjections(seed: 9));
        b.AttachLora(AllProjections(seed: 9));

        var wa = PeftAdapter.StateDict(a);
        var wb = PeftAdapter.StateDict(b);

        Assert.All(wa, kv => Assert.True(torch.allclose(kv.Value, wb[kv.Key], 0, 0)));
        double bound = 1 / Math.Sqrt(32);
        Assert.True(wa["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].abs().max().item<float>() <= bound);
    }

    [Fact]
    public void Merge_GivesTheUnmergedOutput_AndUnmergeRestoresWeights()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create();
        var ids = TinyModels.Ids(4);
        model.AttachLora(AllProjections());
        RandomizeB(model, 11);
        var baseWeights = model.Projections().Select(p => p.Linear.Weight.detach().clone()).ToList();
        var unmerged = model.Forward(ids).detach();

        foreach (var (_, linear) in model.Projections())
            linear.Merge();
        var merged = model.Forward(ids).detach();
        foreach (var (_, linear) in model.Projections())
            linear.Unmerge();

        Assert.True((merged - unmerged).abs().max().item<float>() < 1e-5);
        Assert.False(torch.allclose(unmerged, model.Forward(ids).detach() + 1));
        var restored = model.Projections().Select(p => p.Linear.Weight).ToList();
        for (int i = 0; i < restored.Count; i++)
            Assert.True((restored[i] - baseWeights[i]).abs().max().item<float>() < 1e-6);
    }

    [Fact]
    public void MergeAndDetach_ThenNewAdapter_StacksOnTheMergedBase()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create();
        var ids = TinyModels.Ids(6);
        model.AttachLora(AllProjections());
        RandomizeB(model, 12);
        var aligned = model.Forward(ids).detach();

        model.MergeAndDetachLora();
        model.AttachLora(new LoraConfig { Rank = 2, Alpha = 2, TargetModules = ["q_proj", "v_proj"], Seed = 1 });

        Assert.True((model.Forward(ids) - aligned).abs().max().item<float>() < 1e-5);
        Assert.Equal(2 * 2 * 2, model.TrainableParameters().Count());
    }

    [Fact]
    public void MergeAndDetach_AdapterOnSomeProjections_FoldsThoseAndLeavesTheRest()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create();
        var ids = TinyModels.Ids(7);
        var up = model.named_parameters().First(p => p.name.EndsWith("up_proj.weight", StringComparison.Ordinal)).parameter.detach().clone();
        model.AttachLora(new LoraConfig { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj"], Seed = 3 });
        RandomizeB(model, 13);
        var adapted = model.Forward(ids).detach();

        model.MergeAndDetachLora();

        Assert.Null(model.Lora);
        Assert.True((model.Forward(ids) - adapted).abs().max().item<float>() < 1e-5);
        Assert.True(up.allclose(model.named_parameters().First(p => p.name.EndsWith("up_proj.weight", StringComparison.Ordinal)).parameter, rtol: 0, atol: 0));
    }

    [Fact]
    public void Merge_NonFiniteUpdate_Refuses()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create();
        model.AttachLora(AllProjections());
        var (_, linear) = model.Projections().First();
        using (torch.no_grad())
            linear.LoraB!.Weight.fill_(float.NaN);

        Assert.Throws<InvalidOperationException>(() => linear.Merge());
        Assert.False(linear.Weight.isnan().any().item<bool>());
    }

    [Fact]
    public void Attach_Twice_Throws()
    {
        using var model = TinyModels.Create();
        model.AttachLora(AllProjections());
        Assert.Throws<InvalidOperationException>(() => model.AttachLora(AllProjections()));
    }

    [Fact]
    public void Save_WritesPeftNamesShapesAndConfig_AndLoadReproducesOutputs()
    {
        using var dir = new TempDirectory();
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create();
        var config = new LoraConfig { Rank = 4, Alpha = 16, Dropout = 0.05, TargetModules = ["q_proj", "v_proj", "down_proj"], Seed = 2 };
        model.AttachLora(config);
        RandomizeB(model, 13);
        var ids = TinyModels.Ids(8);
        var expected = model.Forward(ids).detach();

        PeftAdapter.Save(model, dir.Path, "tiny-llama");

        using (var file = SafetensorsFile.Open(Path.Combine(dir.Path, PeftAdapter.WeightsFileName)))
        {
            // PEFT's layout: base_model.model.<HF path>.lora_A.weight (r, in) and .lora_B.weight (out, r).
            Assert.Equal([4L, 32L], file["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].Shape);
            Assert.Equal([16L, 4L], file["base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"].Shape);
            Assert.Equal([32L, 4L], file["base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"].Shape);
            Assert.Equal(2 * 3 * 2, file.Tensors.Count);
            Assert.All(file.Tensors, t => Assert.Equal("F32", t.Dtype));
        }
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, PeftAdapter.ConfigFileName)))!;
        Assert.Equal("LORA", (string)json["peft_type"]!);
        Assert.Equal(4, (int)json["r"]!);
        Assert.Equal(16.0, (double)json["lora_alpha"]!);
        Assert.Equal(["down_proj", "q_proj", "v_proj"], json["target_modules"]!.AsArray().Select(n => (string)n!));

        using var reloaded = TinyModels.Create();
        var read = PeftAdapter.Load(reloaded, dir.Path);
        Assert.Equal(config.Rank, read.Rank);
        Assert.True(torch.allclose(expected, reloaded.Forward(ids), 0, 0));
    }

    [Theory]
    [InlineData("\"use_dora\": true", "use_dora")]
    [InlineData("\"bias\": \"all\"", "bias")]
    [InlineData("\"peft_type\": \"IA3\"", "peft_type")]
    [InlineData("\"modules_to_save\": [\"lm_head\"]", "modules_to_save")]
    public void ReadConfig_UnsupportedFeature_NamesIt(string field, string expected)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, PeftAdapter.ConfigFileName), $$"""{"r": 4, "lora_alpha": 8, "target_modules": ["q_proj"], {{field}}}""");

        var e = Assert.Throws<PeftAdapterException>(() => PeftAdapter.ReadConfig(dir.Path));

        Assert.Contains(expected, e.Message);
        Assert.Contains(PeftAdapter.ConfigFileName, e.Message);
    }

    [Fact]
    public void ReadConfig_RegexTargets_AreRefused()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, PeftAdapter.ConfigFileName), """{"r": 4, "lora_alpha": 8, "target_modules": ".*q_proj"}""");

        var e = Assert.Throws<PeftAdapterException>(() => PeftAdapter.ReadConfig(dir.Path));

        Assert.Contains("regular expressions are not supported", e.Message);
    }

    [Fact]
    public void Load_AdapterForOtherTargets_ThrowsAndLeavesModelUnadapted()
    {
        using var dir = new TempDirectory();
        using var scope = torch.NewDisposeScope();
        using (var model = TinyModels.Create())
        {
            model.AttachLora(new LoraConfig { Rank = 2, TargetModules = ["q_proj"] });
            PeftAdapter.Save(model, dir.Path);
        }
        var text = File.ReadAllText(Path.Combine(dir.Path, PeftAdapter.ConfigFileName)).Replace("\"q_proj\"", "\"k_proj\"");
        File.WriteAllText(Path.Combine(dir.Path, PeftAdapter.ConfigFileName), text);
        using var other = TinyModels.Create();

        var e = Assert.Throws<PeftAdapterException>(() => PeftAdapter.Load(other, dir.Path));

        Assert.Contains("k_proj.lora_A.weight", e.Message);
        Assert.Null(other.Lora);
    }
}
