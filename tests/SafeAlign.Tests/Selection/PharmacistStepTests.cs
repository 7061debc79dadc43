using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Selection.Pharmacist;
using SafeAlign.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Selection;

public sealed class PharmacistStepTests
{
    private const int Rows = 6;

    [Fact]
    public void Constructor_And_Run_BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PharmacistStep(0, 0.1, true, GradientAlignmentStrategy.Ghost));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PharmacistStep(1e-3, -1, true, GradientAlignmentStrategy.Ghost));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PharmacistStep(1e-3, 0.1, true, (GradientAlignmentStrategy)42));
        using var model = SelectionFixture.Model();
        SelectionFixture.AttachWarmAdapter(model);
        using var scope = NewDisposeScope();
        var (pool, harmful, validation) = Batches();
        var step = new PharmacistStep(1e-3, 0.1, true, GradientAlignmentStrategy.Ghost);
        Assert.Throws<ArgumentException>(() => step.Run(model, pool, ones(Rows + 1), harmful, validation));
        Assert.Throws<ArgumentException>(() => step.Run(model, pool, ones(Rows), null, validation));
        Assert.Throws<ArgumentOutOfRangeException>(() => step.Run(model, pool, ones(Rows), harmful, validation, lambda: 1.5));
    }

    [Fact]
    public void Run_EveryStrategy_GivesTheNaiveOneSampleAtATimeAlignments()
    {
        using var model = SelectionFixture.Model();
        SelectionFixture.AttachWarmAdapter(model);
        using var scope = NewDisposeScope();
        var (pool, harmful, validation) = Batches();
        var weights = tensor(new[] { 0.5f, 1.5f, 1f, 2f, 0.25f, 0.75f });

        var naive = new PharmacistStep(1e-2, 0.1, true, GradientAlignmentStrategy.Naive).Run(model, pool, weights, harmful, validation);
        Assert.True(naive.Alignment.abs().max().item<float>() > 1e-5f);
        foreach (var strategy in new[] { GradientAlignmentStrategy.Ghost, GradientAlignmentStrategy.Materialized, GradientAlignmentStrategy.DoubleBackward })
        {
            var result = new PharmacistStep(1e-2, 0.1, true, strategy).Run(model, pool, weights, harmful, validation);
            AssertClose(naive.Alignment, result.Alignment, 1e-3, strategy.ToString());
            AssertClose(naive.Hypergradient, result.Hypergradient, 1e-3, strategy.ToString());
            Assert.Equal(naive.UpperLoss.item<float>(), result.UpperLoss.item<float>(), 5);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Hypergradient_MatchesCentralFiniteDifferencesOfTheUpperLoss(bool harmfulStep)
    {
        const double eta = 0.5, alpha = 0.1, epsilon = 0.25;
        using var model = SelectionFixture.Model();
        SelectionFixture.AttachWarmAdapter(model);
        using var scope = NewDisposeScope();
        var (pool, harmful, validation) = Batches();
        var parameters = LoraGradientCapture.FactorWeights(model);
        float[] pi = [0.5f, 1.5f, 1f, 2f, 0.25f, 0.75f];

        var result = new PharmacistStep(eta, alpha, harmfulStep, GradientAlignmentStrategy.Ghost).Run(model, pool, tensor(pi), harmful, validation);
        float[] hypergradient = result.Hypergradient.data<float>().ToArray();

        // The step's first-order U: the harmful direction is the one at θ'(π), held fixed while π moves (docs/selection.md).
        var direction = harmfulStep ? HarmfulDirection(model, parameters, pool, pi, harmful, eta, alpha) : null;
        Assert.Equal(Upper(model, parameters, pool, pi, direction, validation, eta), result.UpperLoss.item<float>(), 4);
        var finiteDifference = new float[Rows];
        for (int i = 0; i < Rows; i++)
        {
            float[] up = (float[])pi.Clone(), down = (float[])pi.Clone();
            up[i] += (float)epsilon;
            down[i] -= (float)epsilon;
            finiteDifference[i] = (float)((Upper(model, parameters, pool, up, direction, validation, eta) - Upper(model, parameters, pool, down, direction, validation, eta)) / (2 * epsilon));
        }
        AssertClose(tensor(finiteDifference), tensor(hypergradient), 0.02, $"harmful step {harmfulStep}");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void Run_LeavesWeightsBitExact_AndTheModelStepGradient(double lambda)
    {
        const double eta = 0.05;
        using var model = SelectionFixture.Model();
        SelectionFixture.AttachWarmAdapter(model);
        using var scope = NewDisposeScope();
        var (pool, harmful, validation) = Batches();
        var parameters = LoraGradientCapture.FactorWeights(model);
        float[] pi = [0.5f, 1.5f, 1f, 2f, 0.25f, 0.75f];
        var before = parameters.Select(p => p.detach().clone()).ToList();

        new PharmacistStep(eta, 0.1, true, GradientAlignmentStrategy.Ghost).Run(model, pool, tensor(pi), harmful, validation, lambda);

        for (int p = 0; p < parameters.Count; p++)
            Assert.True(before[p].eq(parameters[p]).all().item<bool>(), $"parameter {p} changed");
        // Oracle gradients: ∇F_B at θ, and ∇L_val at θ'' (first-order ∇U).
        var expected = lambda == 0
            ? Gradients(parameters, LowerLoss(model, pool, pi))
            : UpperGradient(model, parameters, pool, pi, HarmfulDirection(model, parameters, pool, pi, harmful, eta, 0.1), validation, eta);
        for (int p = 0; p < parameters.Count; p++)
            AssertClose(expected[p], parameters[p].grad!, 1e-4, $"gradient {p}");
    }

    [Theory]
    [InlineData(GradientAlignmentStrategy.Ghost)]
    [InlineData(GradientAlignmentStrategy.Materialized)]
    [InlineData(GradientAlignmentStrategy.DoubleBackward)]
    [InlineData(GradientAlignmentStrategy.Naive)]
    public void StateStep_DisposesEverythingItCreates(GradientAlignmentStrategy strategy)
    {
        using var model = SelectionFixture.Model();
        SelectionFixture.AttachWarmAdapter(model);
        using var state = new PharmacistState(model, 50, new PharmacistOptions { Strategy = strategy });
        int[] rows = [3, 7, 11, 19, 23, 42];
        void Step()
        {
            var (pool, harmful, validation) = Batches();
            state.Step(pool, rows, harmful, validation);
        }
        Tests.Defenses.DefenseFixture.LiveTensorsAfter(Step); // the optimizers' state appears on the first step

        Assert.Equal(0, Tests.Defenses.DefenseFixture.LiveTensorsAfter(Step));
        Assert.Equal(50, state.Scores().Length);
    }

    private static (TrainingBatch Pool, TrainingBatch Harmful, TrainingBatch Validation) Batches()
    {
        var tokenizer = SelectionFixture.Tokenizer();
        var data = SelectionFixture.Data();
        List<SafeAlign.Tokenization.TokenizedExample> Build(IEnumerable<SafeAlign.Data.SafetyExample> rows) =>
            InstructionExamples.Build(tokenizer, 128, rows.Select(r => (r.Prompt, (string?)null, r.Response)));
        return (TrainingBatch.Collate(Build(data.Safety.Take(Rows)), 0, CPU, 128),
            TrainingBatch.Collate(Build(data.Harmful.Skip(20).Take(4)), 0, CPU, 128),
            TrainingBatch.Collate(Build(data.Validation.Take(4)), 0, CPU, 128));
    }

    private static Tensor LowerLoss(CausalLM model, TrainingBatch pool, float[] pi) =>
        (tensor(pi) / Rows * TokenLoss.PerSample(model.Forward(pool.InputIds, pool.AttentionMask), pool.Labels)).sum();

    private static List<Tensor> Gradients(IReadOnlyList<Parameter> parameters, Tensor loss) =>
        torch.autograd.grad([loss], parameters.Cast<Tensor>().ToList(), allow_unused: true).ToList();

    // Moves θ to θ'(π) = θ − η∇F_B(θ; π) in place and returns the copy of θ to restore.
    private static List<Tensor> InnerStep(CausalLM model, IReadOnlyList<Parameter> parameters, TrainingBatch pool, float[] pi, double eta)
    {
        var theta = parameters.Select(p => p.detach().clone()).ToList();
        var grads = Gradients(parameters, LowerLoss(model, pool, pi));
        using var noGrad = no_grad();
        for (int p = 0; p < parameters.Count; p++)
            parameters[p].sub_(grads[p] * eta);
        return theta;
    }

    private static void Restore(IReadOnlyList<Parameter> parameters, List<Tensor> theta)
    {
        using var noGrad = no_grad();
        for (int p = 0; p < parameters.Count; p++)
            parameters[p].copy_(theta[p]);
    }

    private static List<Tensor> HarmfulDirection(CausalLM model, IReadOnlyList<Parameter> parameters, TrainingBatch pool, float[] pi, TrainingBatch harmful, double eta, double alpha)
    {
        var theta = InnerStep(model, parameters, pool, pi, eta);
        var grads = Gradients(parameters, TokenLoss.Mean(model.Forward(harmful.InputIds, harmful.AttentionMask), harmful.Labels));
        var norm = stack(grads.Select(g => g.square().sum()).ToArray()).sum().sqrt();
        Restore(parameters, theta);
        return grads.Select(g => (g * (-alpha) / (norm + 1e-7)).detach()).ToList();
    }

    private static double Upper(CausalLM model, IReadOnlyList<Parameter> parameters, TrainingBatch pool, float[] pi, List<Tensor>? direction, TrainingBatch validation, double eta)
    {
        using var scope = NewDisposeScope();
        var theta = InnerStep(model, parameters, pool, pi, eta);
        Shift(parameters, direction);
        using (no_grad())
        {
            double value = TokenLoss.Mean(model.Forward(validation.InputIds, validation.AttentionMask), validation.Labels).item<float>();
            Restore(parameters, theta);
            return value;
        }
    }

    private static List<Tensor> UpperGradient(CausalLM model, IReadOnlyList<Parameter> parameters, TrainingBatch pool, float[] pi, List<Tensor> direction, TrainingBatch validation, double eta)
    {
        var theta = InnerStep(model, parameters, pool, pi, eta);
        Shift(parameters, direction);
        var grads = Gradients(parameters, TokenLoss.Mean(model.Forward(validation.InputIds, validation.AttentionMask), validation.Labels)).Select(g => g.detach()).ToList();
        Restore(parameters, theta);
        return grads;
    }

    private static void Shift(IReadOnlyList<Parameter> parameters, List<Tensor>? direction)
    {
        if (direction is null)
            return;
        using var noGrad = no_grad();
        for (int p = 0; p < parameters.Count; p++)
            parameters[p].add_(direction[p]);
    }

    private static void AssertClose(Tensor expected, Tensor actual, double relative, string what)
    {
        float scale = expected.abs().max().item<float>();
        float error = (expected - actual).abs().max().item<float>();
        Assert.True(error <= relative * scale + 1e-7, $"{what}: max error {error} against scale {scale}: expected [{string.Join(", ", expected.flatten().data<float>().ToArray().Take(8))}], got [{string.Join(", ", actual.flatten().data<float>().ToArray().Take(8))}]");
    }
}
