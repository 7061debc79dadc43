using SafeAlign.Defenses.Vaccine;
using SafeAlign.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Defenses;

public sealed class VaccineStepTests
{
    [Fact]
    public void Constructor_BadRho_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new VaccineStep(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VaccineStep(double.NaN));
        Assert.Throws<ArgumentException>(() => new VaccineDefense(new VaccineOptions { Rho = -0.5 }));
    }

    [Fact]
    public void Perturbation_HasJointNormRho_AndFollowsTheGradient()
    {
        using var model = PerturbationOracle.LoraModel();
        var batch = PerturbationOracle.Batch();

        var (_, gradients) = AttentionPerturbation.LossAndGradients(model, batch, [0, 1]);
        var epsilon = AttentionPerturbation.Perturbation(gradients, 2);

        Assert.Equal(2.0, PerturbationOracle.JointNorm(epsilon.Values), 1e-5);
        // Each ε_l is g_l times one shared positive factor.
        double factor = 2.0 / PerturbationOracle.JointNorm(gradients.Values);
        foreach (int l in new[] { 0, 1 })
            Assert.True(allclose(epsilon[l], gradients[l] * factor, 1e-5, 1e-9), $"layer {l}");
    }

    [Fact]
    public void LossAndGradients_MatchRetainGradBackward_AndLeaveParameterGradsAlone()
    {
        using var model = PerturbationOracle.LoraModel();
        var batch = PerturbationOracle.Batch();
        var expected = PerturbationOracle.AttentionGradients(model, batch);

        var (_, gradients) = AttentionPerturbation.LossAndGradients(model, batch, [0, 1]);

        foreach (int l in new[] { 0, 1 })
            Assert.True(allclose(gradients[l], expected[l], 1e-5, 1e-8), $"layer {l}");
        Assert.All(model.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void Step_LeavesThePerturbedPassGradients_OfAnIndependentComputation()
    {
        using var model = PerturbationOracle.LoraModel();
        using var twin = PerturbationOracle.LoraModel();
        var batch = PerturbationOracle.Batch();

        var loss = new VaccineStep(2).Step(model, batch, new StepContext(0, 0, 1)).item<float>();
        var actual = PerturbationOracle.AdapterGradients(model);
        var (expectedLoss, expected) = PerturbationOracle.PassTwo(twin, batch, [0, 1], 2);

        Assert.Equal(expectedLoss, loss, 1e-5);
        PerturbationOracle.AssertClose(expected, actual);
        // The perturbation matters: the unperturbed gradients are measurably different.
        var (_, plain) = PerturbationOracle.PassTwo(twin, batch, [0, 1], 0);
        double gap = expected.Max(kv => (kv.Value - plain[kv.Key]).abs().max().item<float>());
        Assert.True(gap > 1e-4, $"ρ = 2 moved the gradients by only {gap:E2}");
    }

    [Fact]
    public void Step_WithAccumulation_AddsOntoEarlierMicroBatches()
    {
        using var model = PerturbationOracle.LoraModel();
        using var twin = PerturbationOracle.LoraModel();
        var first = PerturbationOracle.Batch(4, 0);
        var second = PerturbationOracle.Batch(4, 4);
        var step = new VaccineStep(2);

        step.Step(model, first, new StepContext(0, 0, 0.5));
        step.Step(model, second, new StepContext(0, 1, 0.5));
        var accumulated = PerturbationOracle.AdapterGradients(model);
        step.Step(twin, first, new StepContext(0, 0, 1));
        var one = PerturbationOracle.AdapterGradients(twin);
        twin.zero_grad();
        step.Step(twin, second, new StepContext(0, 0, 1));
        var two = PerturbationOracle.AdapterGradients(twin);

        PerturbationOracle.AssertClose(one.ToDictionary(kv => kv.Key, kv => (kv.Value + two[kv.Key]) * 0.5), accumulated);
    }

    [Fact]
    public void Step_RemovesItsTaps_AndLeaksNoTensor()
    {
        using var model = PerturbationOracle.LoraModel();
        var batch = PerturbationOracle.Batch(2);
        var step = new VaccineStep(2);
        long Live()
        {
            using (NewDisposeScope())
                step.Step(model, batch, new StepContext(0, 0, 1));
            model.zero_grad();
            GC.Collect();
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        }

        long afterOne = Live();
        Live();
        long afterThree = Live();

        Assert.True(model.Taps.IsEmpty);
        Assert.Equal(afterOne, afterThree);
    }
}
