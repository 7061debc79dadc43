using SafeAlign.Models;
using SafeAlign.Tests.Models;
using TorchSharp;

namespace SafeAlign.Tests.Evaluation;

/// <summary>Seeded tiny causal LMs and classifiers for judge tests.</summary>
internal static class TinyModelsForJudges
{
    public static CausalLM CausalLm() => TinyModels.Create();

    public static CausalLM Classifier(int vocab, int labels = 2, long seed = 5)
    {
        var config = new ModelConfig
        {
            VocabSize = vocab, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 8,
        }.WithHead(labels);
        var model = new CausalLM(config, torch.ScalarType.Float32);
        model.InitializeWeights(seed, std: 0.1);
        model.eval();
        return model;
    }
}
