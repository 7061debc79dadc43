using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Models.Taps;
using SafeAlign.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Defenses;

/// <summary>
/// An independent Vaccine computation for the step tests: g_l read with <c>retain_grad</c> and a full backward (not
/// <c>autograd.grad</c>), the joint norm summed on the host in double, ε added through a tap of its own.
/// </summary>
internal static class PerturbationOracle
{
    /// <summary>A fixture model with an adapter on every projection whose B factors are random, so every factor gets a gradient.</summary>
    public static CausalLM LoraModel(int layers = 2, long seed = 1)
    {
        var model = DefenseFixture.Model(seed, layers);
        model.AttachLora(new LoraConfig { Rank = 4, Alpha = 8, TargetModules = [.. LoraConfig.AllProjections], Seed = 3 });
        var generator = new Generator(11);
        using var noGrad = no_grad();
        foreach (var (name, p) in model.named_parameters().Where(p => p.name.Contains("lora_B", StringComparison.Ordinal)))
            p.copy_(randn(p.shape, generator: generator) * 0.05);
        return model;
    }

    /// <summary><paramref name="count"/> supervised fixture rows from <paramref name="offset"/>, collated.</summary>
    public static TrainingBatch Batch(int count = 6, int offset = 0) =>
        TrainingBatch.Collate(Examples().Skip(offset).Take(count).ToList(), DefenseFixture.Tokenizer().PadId ?? 0, CPU);

    public static List<SafeAlign.Tokenization.TokenizedExample> Examples() =>
        InstructionExamples.Build(DefenseFixture.Tokenizer(), 128, DefenseFixture.Data().SupervisedItems());

    /// <summary>g_l = ∂loss/∂e_l for every layer, via retain_grad and backward; parameter grads are cleared afterwards.</summary>
    public static Dictionary<int, Tensor> AttentionGradients(CausalLM model, TrainingBatch batch)
    {
        model.zero_grad();
        using var capture = model.Taps.Capture(TapPoint.AttentionOutput, retainGrad: true);
        TokenLoss.Mean(model.Forward(batch.InputIds, batch.AttentionMask), batch.Labels).backward();
        var gradients = capture.Layers.ToDictionary(l => l, l => capture[l].grad!.detach().clone());
        model.zero_grad();
        return gradients;
    }

    /// <summary>sqrt(Σ_l Σ_i x²) over the given tensors, on the host in double.</summary>
    public static double JointNorm(IEnumerable<Tensor> tensors) =>
        Math.Sqrt(tensors.Sum(t => t.to(float64).data<double>().ToArray().Sum(v => v * v)));

    /// <summary>Pass 2 of Vaccine on <paramref name="layers"/>: returns the perturbed loss and the adapter gradients it leaves.</summary>
    public static (double Loss, Dictionary<string, Tensor> Gradients) PassTwo(CausalLM model, TrainingBatch batch, IReadOnlyCollection<int> layers, double rho)
    {
        var all = AttentionGradients(model, batch);
        double norm = JointNorm(layers.Select(l => all[l]));
        var epsilon = layers.ToDictionary(l => l, l => (all[l] * (rho / (norm + 1e-7))).detach().clone());
        model.zero_grad();
        double loss;
        using (model.Taps.Add(site => site.Point == TapPoint.AttentionOutput && epsilon.ContainsKey(site.Layer), (site, value) => value + epsilon[site.Layer]))
        {
            var perturbed = TokenLoss.Mean(model.Forward(batch.InputIds, batch.AttentionMask), batch.Labels);
            perturbed.backward();
            loss = perturbed.item<float>();
        }
        return (loss, AdapterGradients(model));
    }

    /// <summary>Clones of the adapter gradients (zeros where a factor has none).</summary>
    public static Dictionary<string, Tensor> AdapterGradients(CausalLM model) =>
        model.named_parameters().Where(p => p.name.Contains(".lora_", StringComparison.Ordinal))
            .ToDictionary(p => p.name, p => p.parameter.grad is { } g ? g.detach().clone() : zeros_like(p.parameter));

    public static void AssertClose(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, e) in expected)
        {
            double scale = Math.Max(1e-3, e.abs().max().item<float>());
            double error = (actual[name] - e).abs().max().item<float>();
            Assert.True(error <= tolerance * scale, $"{name}: max |Δ| {error:E3} against scale {scale:E3}");
        }
    }
}
