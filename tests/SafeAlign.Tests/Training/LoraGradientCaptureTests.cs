using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Tests.Models;
using SafeAlign.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Training;

public sealed class LoraGradientCaptureTests
{
    [Fact]
    public void Capture_NoAdapter_Throws()
    {
        using var model = TinyModels.Create(seed: 2);
        Assert.Throws<InvalidOperationException>(() => new LoraGradientCapture(model));
    }

    [Fact]
    public void Dot_BeforeBackward_Throws_AndWrongDirectionCount_Throws()
    {
        using var model = Warm(seed: 3);
        using var scope = NewDisposeScope();
        using var capture = new LoraGradientCapture(model);
        using var directions = Directions(capture.Parameters, seed: 1);
        Assert.Throws<InvalidOperationException>(() => capture.Dot(directions));
        using var tooFew = ParameterSnapshot.OfWeights(capture.Parameters.Take(3).ToList());
        Assert.Throws<ArgumentException>(() => capture.Dot(tooFew));
    }

    [Fact]
    public void DotMaterializedAndSquaredNorms_EqualOneSampleAtATimeGradients_WithPaddingAndWeights()
    {
        using var model = Warm(seed: 4);
        using var scope = NewDisposeScope();
        var batch = Batch(seed: 5);
        var parameters = LoraGradientCapture.FactorWeights(model);
        using var directions = Directions(parameters, seed: 6);
        var weights = tensor(new[] { 0.5f, 2f, 1f, 0.25f });

        using var capture = new LoraGradientCapture(model);
        var perSample = TokenLoss.PerSample(model.Forward(batch.InputIds, batch.AttentionMask), batch.Labels);
        capture.Stop();
        (weights * perSample).sum().backward();
        var ghost = capture.Dot(directions);
        var materialized = capture.DotMaterialized(directions);
        var norms = capture.SquaredNorms();

        // Oracle: each sample's weighted loss on its own, gradients by autograd.
        var (dots, squaredNorms) = OneAtATime(model, batch, parameters, directions, weights);
        AssertClose(dots, ghost);
        AssertClose(dots, materialized);
        AssertClose(squaredNorms, norms);
        Assert.True(ghost.abs().max().item<float>() > 1e-4f); // not trivially zero
    }

    [Fact]
    public void SampleGradientDots_NaiveAndDoubleBackward_EqualOneSampleAtATimeGradients_AndLeaveGradsAlone()
    {
        using var model = Warm(seed: 7);
        using var scope = NewDisposeScope();
        var batch = Batch(seed: 8);
        var parameters = LoraGradientCapture.FactorWeights(model);
        using var directions = Directions(parameters, seed: 9);
        var (dots, _) = OneAtATime(model, batch, parameters, directions, ones(4));
        bool flash = backends.cuda.flash_sdp_enabled();

        AssertClose(dots, SampleGradientDots.Naive(model, batch, parameters, directions));
        AssertClose(dots, SampleGradientDots.DoubleBackward(model, batch, parameters, directions));
        Assert.All(parameters, p => Assert.Null(p.grad));
        Assert.Equal(flash, backends.cuda.flash_sdp_enabled()); // the temporary switch is undone
    }

    private static CausalLM Warm(long seed)
    {
        var model = TinyModels.Create(seed);
        model.AttachLora(new LoraConfig { Rank = 4, Alpha = 8, TargetModules = [.. LoraConfig.AllProjections], Seed = seed });
        using var noGrad = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var (_, linear) in model.Projections())
            linear.LoraB!.Weight.copy_(randn(linear.LoraB.Weight.shape, generator: generator) * 0.1); // lora_A gets a gradient too
        return model;
    }

    // Four rows of different lengths (right padding), prompt tokens unlabelled.
    private static TrainingBatch Batch(long seed)
    {
        var random = new Random((int)seed);
        var examples = new[] { 9, 6, 11, 4 }.Select(length =>
        {
            int[] ids = Enumerable.Range(0, length).Select(_ => random.Next(3, 61)).ToArray();
            int[] labels = ids.Select((id, i) => i < 2 ? -100 : id).ToArray();
            return new SafeAlign.Tokenization.TokenizedExample(ids, labels);
        }).ToList();
        return TrainingBatch.Collate(examples, 0, CPU);
    }

    private static ParameterSnapshot Directions(IReadOnlyList<Parameter> parameters, long seed)
    {
        var generator = new Generator((ulong)seed);
        using var scope = NewDisposeScope();
        foreach (var p in parameters)
            p.grad = randn(p.shape, generator: generator).DetachFromDisposeScope();
        var snapshot = ParameterSnapshot.OfGradients(parameters);
        foreach (var p in parameters)
            p.grad = null;
        return snapshot;
    }

    private static (Tensor Dots, Tensor SquaredNorms) OneAtATime(CausalLM model, TrainingBatch batch, IReadOnlyList<Parameter> parameters,
        ParameterSnapshot directions, Tensor weights)
    {
        var dots = new List<float>();
        var norms = new List<float>();
        for (int i = 0; i < 4; i++)
        {
            using var scope = NewDisposeScope();
            var loss = TokenLoss.PerSample(model.Forward(batch.InputIds[i..(i + 1)], batch.AttentionMask[i..(i + 1)]), batch.Labels[i..(i + 1)]).sum() * weights[i];
            var grads = torch.autograd.grad([loss], parameters.Cast<Tensor>().ToList(), allow_unused: true);
            double dot = 0, norm = 0;
            for (int p = 0; p < grads.Count; p++)
            {
                dot += (grads[p] * directions.Tensors[p]).sum().item<float>();
                norm += grads[p].square().sum().item<float>();
            }
            dots.Add((float)dot);
            norms.Add((float)norm);
        }
        return (tensor(dots.ToArray()), tensor(norms.ToArray()));
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        float scale = expected.abs().max().item<float>();
        float error = (expected - actual).abs().max().item<float>();
        Assert.True(error <= 1e-4f * scale + 1e-6f, $"max error {error} against scale {scale}: expected [{string.Join(", ", expected.data<float>().ToArray())}], got [{string.Join(", ", actual.data<float>().ToArray())}]");
    }
}
