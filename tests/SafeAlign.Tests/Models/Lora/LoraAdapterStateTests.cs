using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Tests.Defenses;
using TorchSharp;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Models.Lora;

public sealed class LoraAdapterStateTests
{
    private static Tensor Output(CausalLM model)
    {
        using var noGrad = no_grad();
        return model.Forward(tensor(new long[] { 5, 6, 7, 8, 9 }, [1, 5])).detach().clone();
    }

    private static void Train(CausalLM model, long seed)
    {
        using var noGrad = no_grad();
        foreach (var (_, p) in model.TrainableParameters())
            p.add_(randn(p.shape, generator: new Generator((ulong)seed++)) * 0.05);
    }

    [Fact]
    public void CaptureDetachAttach_TakesTurnsBitExactly()
    {
        using var model = DefenseFixture.Model();
        var baseOutput = Output(model);
        model.AttachLora(new LoraConfig { Rank = 4, Alpha = 8, Seed = 1 });
        Train(model, 1);
        var firstOutput = Output(model);
        using var first = LoraAdapterState.Capture(model);
        model.DetachLora();
        model.AttachLora(new LoraConfig { Rank = 2, Alpha = 2, TargetModules = ["o_proj"], Seed = 2 });
        Train(model, 7);
        using var second = LoraAdapterState.Capture(model);
        var secondOutput = Output(model);
        model.DetachLora();

        Assert.True(Output(model).equal(baseOutput).all().item<bool>());
        first.AttachTo(model);
        Assert.True(Output(model).equal(firstOutput).all().item<bool>());
        Assert.Equal(4, model.Lora!.Rank);
        model.DetachLora();
        second.AttachTo(model);
        Assert.True(Output(model).equal(secondOutput).all().item<bool>());
        Assert.False(secondOutput.equal(firstOutput).all().item<bool>());
    }

    [Fact]
    public void AttachTo_OtherArchitecture_Throws_AndLeavesNoAdapter()
    {
        using var model = DefenseFixture.Model();
        model.AttachLora(new LoraConfig { Rank = 4 });
        using var state = LoraAdapterState.Capture(model);
        using var deeper = DefenseFixture.Model(layers: 3);

        Assert.Throws<ArgumentException>(() => state.AttachTo(deeper));
        Assert.Null(deeper.Lora);
        Assert.Throws<InvalidOperationException>(() => state.AttachTo(model)); // already has one
        model.DetachLora();
        Assert.Throws<InvalidOperationException>(() => LoraAdapterState.Capture(model));
    }
}
