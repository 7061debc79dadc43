using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SafeAlign.Defenses;
using SafeAlign.Defenses.Sft;
using SafeAlign.Defenses.TVaccine;
using SafeAlign.Defenses.Vaccine;
using SafeAlign.DependencyInjection;
using SafeAlign.Evaluation;
using SafeAlign.Selection;
using SafeAlign.Selection.GradientNorm;
using SafeAlign.Selection.Loss;
using SafeAlign.Selection.Pharmacist;
using SafeAlign.Tests.Defenses;

namespace SafeAlign.Tests.DependencyInjection;

public sealed class AddSafeAlignTests
{
    [Fact]
    public void AddSafeAlign_RegistersEveryDefenseByName_AndTheConfiguredDefault()
    {
        using var provider = new ServiceCollection().AddSafeAlign(o =>
        {
            o.DefaultDefense = "vaccine";
            o.Vaccine.Rho = 3;
        }).BuildServiceProvider();

        Assert.IsType<SftDefense>(provider.GetRequiredKeyedService<IAlignmentDefense>("sft"));
        var vaccine = Assert.IsType<VaccineDefense>(provider.GetRequiredKeyedService<IAlignmentDefense>("vaccine"));
        Assert.Equal(3, vaccine.Options.Rho);
        Assert.IsType<TVaccineDefense>(provider.GetRequiredKeyedService<IAlignmentDefense>("t-vaccine"));
        Assert.Same(vaccine, provider.GetRequiredService<IAlignmentDefense>());
        Assert.IsType<RandomSelector>(provider.GetRequiredKeyedService<IAlignmentDataSelector>("random"));
        Assert.IsType<RefusalPatternJudge>(provider.GetRequiredService<IHarmfulnessJudge>());
        Assert.NotNull(provider.GetRequiredService<SafetyEvaluator>());
    }

    [Fact]
    public void AddSafeAlign_RegistersEverySelectorByName_WithItsOptions()
    {
        using var provider = new ServiceCollection().AddSafeAlign(o =>
        {
            o.Pharmacist.KeepRatio = 0.6;
            o.Pharmacist.Alpha = 0.05;
            o.LossSelector.KeepRatio = 0.3;
        }).BuildServiceProvider();

        var pharmacist = Assert.IsType<PharmacistSelector>(provider.GetRequiredKeyedService<IAlignmentDataSelector>("pharmacist"));
        Assert.Equal((0.6, 0.05, true), (pharmacist.Options.KeepRatio, pharmacist.Options.Alpha, pharmacist.Options.UseHarmfulStep));
        var seal = Assert.IsType<PharmacistSelector>(provider.GetRequiredKeyedService<IAlignmentDataSelector>("seal"));
        Assert.Equal(("seal", 0.6, false), (seal.Name, seal.Options.KeepRatio, seal.Options.UseHarmfulStep));
        Assert.True(pharmacist.Options.UseHarmfulStep); // the ablation's copy left Pharmacist's options alone
        Assert.IsType<FullSelector>(provider.GetRequiredKeyedService<IAlignmentDataSelector>("full"));
        var loss = Assert.IsType<LossSelector>(provider.GetRequiredKeyedService<IAlignmentDataSelector>("loss"));
        var lossHigh = Assert.IsType<LossSelector>(provider.GetRequiredKeyedService<IAlignmentDataSelector>("loss-high"));
        Assert.Equal((KeepOrder.Lowest, KeepOrder.Highest, 0.3), (loss.Options.Keep, lossHigh.Options.Keep, lossHigh.Options.KeepRatio));
        Assert.Equal("loss-high", lossHigh.Name);
        Assert.IsType<GradientNormSelector>(provider.GetRequiredKeyedService<IAlignmentDataSelector>("gradnorm"));
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddSafeAlign(o => o.Pharmacist.KeepRatio = 0));
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddSafeAlign(o => o.GradientNormSelector.BatchSize = 0));
    }

    [Fact]
    public void ExperimentStages_Default_NamesEverySelector()
    {
        var stages = SafeAlign.Experiments.ExperimentStages.Default();
        foreach (string name in new[] { "pharmacist", "seal", "full", "random", "loss", "loss-high", "gradnorm" })
            Assert.Equal(name, stages.Selectors[name](7).Name);
        Assert.Equal(7, ((PharmacistSelector)stages.Selectors["pharmacist"](7)).Options.Seed);
    }

    [Fact]
    public void AddSafeAlign_StagesAreReplaceable()
    {
        var services = new ServiceCollection().AddSafeAlign();
        var judge = new RefusalPatternJudge(["nope"]);
        services.Replace(ServiceDescriptor.Singleton<IHarmfulnessJudge>(judge));
        services.Replace(ServiceDescriptor.KeyedSingleton<IAlignmentDefense>("sft", new SftDefense(new SftOptions { Epochs = 7 })));
        using var provider = services.BuildServiceProvider();

        Assert.Same(judge, provider.GetRequiredService<IHarmfulnessJudge>());
        Assert.Equal(7, Assert.IsType<SftDefense>(provider.GetRequiredService<IAlignmentDefense>()).Options.Epochs);
    }

    [Fact]
    public void AddSafeAlign_BadOptions_ThrowAtRegistration_AndAnUnknownDefaultAtResolution()
    {
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddSafeAlign(o => o.Vaccine.LearningRate = 0));
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddSafeAlign(o => o.DefaultDefense = " "));
        using var provider = new ServiceCollection().AddSafeAlign(o => o.DefaultDefense = "vacine").BuildServiceProvider();
        Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IAlignmentDefense>());
    }

    [Fact]
    public async Task AddSafeAlign_ResolvedDefense_Aligns()
    {
        using var provider = new ServiceCollection().AddSafeAlign(o =>
        {
            o.Sft.Epochs = 1;
            o.Sft.BatchSize = 16;
        }).BuildServiceProvider();
        using var model = DefenseFixture.Model();

        var result = await provider.GetRequiredService<IAlignmentDefense>().AlignAsync(new AlignmentRequest(model, DefenseFixture.Tokenizer(), DefenseFixture.Data()));

        Assert.Equal(6, result.Training.Steps);
        Assert.NotNull(model.Lora);
    }
}
