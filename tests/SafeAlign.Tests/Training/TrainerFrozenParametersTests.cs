using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Tests.Models;
using SafeAlign.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Training;

public sealed class TrainerFrozenParametersTests
{
    [Fact]
    public void Run_FrozenParameters_StayExactlyAsTheyWere_EvenWithMomentumAndDecay()
    {
        using var model = TinyModels.Create(seed: 31);
        model.AttachLora(new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj"], Seed = 3 });
        var adapters = model.TrainableParameters().ToList();
        var target = adapters.First(p => p.Name.Contains("lora_B", StringComparison.Ordinal));
        var step = new FreezeFromStep(target.Parameter, from: 3);
        Tensor? atFreeze = null;
        var options = new TrainerOptions { LearningRate = 1e-2, WeightDecay = 0.1, BatchSize = 4, MaxSteps = 6, LogEvery = 1, Seed = 7 };
        var others = adapters.Where(p => p.Name != target.Name).Select(p => p.Parameter.detach().clone()).ToList();

        new Trainer(options).Run(model, TrainerTests.CopyTask(40), step, new InlineProgress(p =>
        {
            if (p.Step == 3)
                atFreeze = target.Parameter.detach().clone();
        }));

        // It trained (so it has momentum) for three steps, then stayed put for three.
        Assert.NotNull(atFreeze);
        Assert.False(allclose(atFreeze!, zeros_like(atFreeze!), 0, 0));
        Assert.True(allclose(atFreeze!, target.Parameter, 0, 0), "a frozen parameter moved");
        var after = adapters.Where(p => p.Name != target.Name).Select(p => p.Parameter).ToList();
        Assert.Contains(Enumerable.Range(0, others.Count), i => !allclose(others[i], after[i], 0, 0));
    }

    /// <summary>Supervised steps that report <paramref name="parameter"/> frozen from optimizer step <paramref name="from"/> on.</summary>
    private sealed class FreezeFromStep(Parameter parameter, int from) : ITrainingStep
    {
        private int _step;

        public Tensor Step(CausalLM model, TrainingBatch batch, StepContext context)
        {
            _step = context.Step;
            return SupervisedStep.Instance.Step(model, batch, context);
        }

        public IEnumerable<Parameter> FrozenParameters() => _step >= from ? [parameter] : [];
    }

    private sealed class InlineProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
