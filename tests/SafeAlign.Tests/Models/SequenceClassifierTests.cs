using SafeAlign.Models;
using SafeAlign.Tests.Evaluation;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Models;

public sealed class SequenceClassifierTests
{
    [Fact]
    public void SequenceLogits_CausalLm_Throws()
    {
        using var lm = TinyModels.Create();

        Assert.Throws<InvalidOperationException>(() => lm.SequenceLogits(TinyModels.Ids(1)));
    }

    [Fact]
    public void SequenceLogits_LeftAndRightPadding_EqualEachRowAlone()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = TinyModelsForJudges.Classifier(vocab: 61, labels: 3);
        var ids = TinyModels.Ids(seed: 4, batch: 3, length: 6);                       // rows keep 6, 4, 2 tokens
        long[] lengths = [6, 4, 2];
        var alone = lengths.Select((n, b) => model.SequenceLogits(ids[b].narrow(0, 0, n).unsqueeze(0))[0]).ToArray();

        var right = ones(3, 6, dtype: int64);
        var left = ones(3, 6, dtype: int64);
        var rightIds = ids.clone();
        var leftIds = zeros(3, 6, dtype: int64);
        for (int b = 0; b < 3; b++)
        {
            long n = lengths[b];
            right[b].narrow(0, n, 6 - n).fill_(0);
            left[b].narrow(0, 0, 6 - n).fill_(0);
            leftIds[b].narrow(0, 6 - n, n).copy_(ids[b].narrow(0, 0, n));
        }
        var rightScores = model.SequenceLogits(rightIds, right);
        var leftScores = model.SequenceLogits(leftIds, left);

        Assert.Equal(new long[] { 3, 3 }, rightScores.shape);
        for (int b = 0; b < 3; b++)
        {
            Assert.True(rightScores[b].allclose(alone[b], rtol: 1e-4, atol: 1e-5), $"right-padded row {b}");
            Assert.True(leftScores[b].allclose(alone[b], rtol: 1e-4, atol: 1e-5), $"left-padded row {b}");
        }
        Assert.False(alone[0].allclose(alone[1]));
    }

    [Fact]
    public void Config_SequenceClassifier_ParsesLabels_RoundTripsThroughJson()
    {
        const string json = """
            {"architectures": ["LlamaForSequenceClassification"], "vocab_size": 50, "hidden_size": 16, "intermediate_size": 32,
             "num_hidden_layers": 1, "num_attention_heads": 2, "problem_type": "multi_label_classification",
             "id2label": {"1": "b", "0": "a", "2": "c"}}
            """;

        var config = ModelConfig.Parse(json);
        var again = ModelConfig.Parse(config.ToJson());
        var lm = ModelConfig.Parse(json.Replace("ForSequenceClassification", "ForCausalLM", StringComparison.Ordinal));

        Assert.Equal(3, config.NumLabels);
        Assert.Equal(["a", "b", "c"], config.Labels);
        Assert.Equal("multi_label_classification", config.ProblemType);
        Assert.Equal(3, again.NumLabels);
        Assert.Equal(config.Labels, again.Labels);
        Assert.Equal(config.ProblemType, again.ProblemType);
        Assert.False(lm.IsSequenceClassifier);
        Assert.Equal(2, ModelConfig.Parse(json.Replace("\"id2label\": {\"1\": \"b\", \"0\": \"a\", \"2\": \"c\"}", "\"torch_dtype\": \"float32\"", StringComparison.Ordinal)).NumLabels);
        Assert.Throws<ModelConfigException>(() => ModelConfig.Parse(json.Replace("\"2\": \"c\"", "\"3\": \"c\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void LoadTrunkWeights_CopiesTrunk_LeavesHead()
    {
        using var dir = new TempDirectory();
        using var source = TinyModels.Create(seed: 2);
        SafeAlign.Models.Safetensors.SafetensorsWriter.Save(dir.File("model.safetensors"), source.state_dict());
        using var classifier = new CausalLM(TinyModels.Config().WithHead(2), ScalarType.Float32);
        classifier.InitializeWeights(seed: 9);
        var head = classifier.state_dict()["score.weight"].clone();

        classifier.LoadTrunkWeights(dir.Path);

        var weights = classifier.state_dict();
        Assert.True(weights["model.layers.1.mlp.down_proj.weight"].allclose(source.state_dict()["model.layers.1.mlp.down_proj.weight"], rtol: 0, atol: 0));
        Assert.True(weights["score.weight"].allclose(head, rtol: 0, atol: 0));
    }
}
