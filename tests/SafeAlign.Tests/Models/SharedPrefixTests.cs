using SafeAlign.Models;
using SafeAlign.Models.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Models;

public sealed class SharedPrefixTests
{
    // Three right-padded rows that start with the same five ids (a template header), then differ.
    private static (Tensor Ids, Tensor Mask) Batch()
    {
        long[,] ids =
        {
            { 5, 9, 11, 7, 30, 12, 44, 18, 3, 2 },
            { 5, 9, 11, 7, 30, 50, 21, 2, 0, 0 },
            { 5, 9, 11, 7, 30, 33, 2, 0, 0, 0 },
        };
        long[,] mask =
        {
            { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
            { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 },
            { 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 },
        };
        return (tensor(ids), tensor(mask));
    }

    [Theory]
    [InlineData(ModelArchitecture.Llama)]
    [InlineData(ModelArchitecture.Qwen2)]
    public void HiddenStatesSharingPrefix_EqualsThePlainForwardOnEveryRealPosition(ModelArchitecture architecture)
    {
        using var model = TinyModels.Create(seed: 4, architecture: architecture);
        var (ids, mask) = Batch();
        using var plain = model.HiddenStates(ids, mask);
        using var shared = model.HiddenStatesSharingPrefix(ids, mask, prefixLength: 5);

        Assert.Equal(plain.shape, shared.shape);
        using var real = mask.to(ScalarType.Bool).unsqueeze(-1);
        double gap = (plain - shared).abs().masked_fill(real.logical_not(), 0).max().item<float>();
        Assert.True(gap < 1e-5, $"max |plain − shared| over real positions = {gap:E2}");
    }

    [Fact]
    public void HiddenStatesSharingPrefix_GivesThePlainForwardsGradients()
    {
        using var model = TinyModels.Create(seed: 5);
        model.AttachLora(new LoraConfig { Rank = 2, Alpha = 4, Dropout = 0, TargetModules = [.. LoraConfig.AllProjections], Seed = 1 });
        model.train();
        var (ids, mask) = Batch();
        // Make the adapter non-trivial so that every LoRA factor gets a gradient.
        using (no_grad())
        {
            foreach (var p in model.TrainableParameters())
                p.Parameter.add_(randn(p.Parameter.shape, generator: new Generator(9)) * 0.05);
        }
        using var weights = randn(3, 10, 32, generator: new Generator(2));
        using var real = mask.to(ScalarType.Float32).unsqueeze(-1);

        List<Tensor> Gradients(bool share)
        {
            foreach (var p in model.TrainableParameters())
                p.Parameter.grad = null;
            using var hidden = share ? model.HiddenStatesSharingPrefix(ids, mask, 5) : model.HiddenStates(ids, mask);
            using var loss = (hidden * weights * real).sum();
            loss.backward();
            return [.. model.TrainableParameters().Select(p => p.Parameter.grad!.clone())];
        }

        var plain = Gradients(share: false);
        var shared = Gradients(share: true);
        Assert.Equal(plain.Count, shared.Count);
        for (int i = 0; i < plain.Count; i++)
        {
            double scale = plain[i].abs().max().item<float>();
            Assert.True(scale > 0, $"parameter {i} got no gradient");
            Assert.True(shared[i].allclose(plain[i], rtol: 1e-4, atol: 1e-5 * scale), $"parameter {i}: gradients differ by {(shared[i] - plain[i]).abs().max().item<float>():E2}");
        }
    }

    [Fact]
    public void HiddenStatesSharingPrefix_RowsThatDoNotShareThePrefix_Throw()
    {
        using var model = TinyModels.Create();
        var (ids, mask) = Batch();
        var ex = Assert.Throws<ArgumentException>(() => model.HiddenStatesSharingPrefix(ids, mask, prefixLength: 6));
        Assert.Contains("first 6 tokens", ex.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    public void HiddenStatesSharingPrefix_PrefixOutOfRange_Throws(long prefixLength)
    {
        using var model = TinyModels.Create();
        var (ids, mask) = Batch();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => model.HiddenStatesSharingPrefix(ids, mask, prefixLength));
        Assert.Contains("expected 1 to 9", ex.Message);
    }

    [Fact]
    public void HiddenStatesSharingPrefix_PaddingInsideThePrefix_Throws()
    {
        using var model = TinyModels.Create();
        using var ids = full(2, 6, 7L);
        using var mask = tensor(new long[,] { { 1, 1, 1, 1, 1, 1 }, { 1, 1, 0, 0, 0, 0 } });
        var ex = Assert.Throws<ArgumentException>(() => model.HiddenStatesSharingPrefix(ids, mask, prefixLength: 4));
        Assert.Contains("padding within the first 4 positions", ex.Message);
    }
}
