using SafeAlign.Data;
using SafeAlign.Defenses;
using SafeAlign.Evaluation.World;
using SafeAlign.Models;
using SafeAlign.Tokenization;
using TorchSharp;

namespace SafeAlign.Tests.Defenses;

/// <summary>A tiny model, the tiny tokenizer and a small slice of the world's alignment data, for defense tests.</summary>
internal static class DefenseFixture
{
    private static readonly Lazy<SafetyWorld> LazyWorld = new(() => SafetyWorld.Generate(new SafetyWorldOptions
    {
        Seed = 5, PretrainingSize = 200, AlignmentSize = 64, AlignmentBenignSize = 16, AttackPoolSize = 16,
        HarmfulTestSize = 8, BenignTestSize = 8, TaskTrainSize = 8, TaskTestSize = 4,
    }));

    private static readonly Lazy<TrainedTokenizerFiles> LazyTokenizer = new(() =>
        ByteLevelBpeTrainer.Train(WorldBaseModel.TokenizerCorpus(LazyWorld.Value), new ByteLevelBpeTrainerOptions { VocabularySize = 512 }));

    /// <summary>The fixture world (attack and task pools for fine-tuning-stage tests).</summary>
    public static SafetyWorld World() => LazyWorld.Value;

    /// <summary>A byte-level BPE trained on the fixture world's text, so its prompts are a few dozen tokens long.</summary>
    public static HfTokenizer Tokenizer() => LazyTokenizer.Value.Load();

    /// <summary>The tokenizer's Hugging Face files (to write a model folder).</summary>
    public static TrainedTokenizerFiles TokenizerFiles() => LazyTokenizer.Value;

    public static CausalLM Model(long seed = 1, int layers = 2)
    {
        var config = new ModelConfig
        {
            Architecture = ModelArchitecture.Llama,
            VocabSize = Tokenizer().VocabularySize,
            HiddenSize = 32,
            IntermediateSize = 48,
            NumHiddenLayers = layers,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            HeadDim = 8,
            EosTokenIds = [2],
            BosTokenId = 1,
        }.Validate();
        var model = new CausalLM(config, torch.ScalarType.Float32);
        model.InitializeWeights(seed, std: 0.1);
        model.eval();
        return model;
    }

    /// <summary>64 refusal rows with their compliance pairs, 16 benign rows, 8 task rows.</summary>
    public static AlignmentData Data() => WorldAlignment.Data(LazyWorld.Value) is var all
        ? new AlignmentData
        {
            Safety = all.Safety,
            Benign = all.Benign,
            Utility = all.Utility.Take(8).ToList(),
            Harmful = all.Harmful,
        }
        : throw new InvalidOperationException();

    /// <summary>Tensors still alive on this thread after <paramref name="step"/> ran inside its own dispose scope (0 = no leak).</summary>
    public static long LiveTensorsAfter(Action step)
    {
        DisposeScopeManager.Statistics.Reset();
        using (torch.NewDisposeScope())
            step();
        return DisposeScopeManager.Statistics.ThreadTotalLiveCount;
    }

    public static Dictionary<string, torch.Tensor> Snapshot(CausalLM model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
}
