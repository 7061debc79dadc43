using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SafeAlign.Defenses;
using SafeAlign.Defenses.Sft;
using SafeAlign.Defenses.TVaccine;
using SafeAlign.Defenses.Vaccine;
using SafeAlign.DependencyInjection;
using SafeAlign.Evaluation;
using SafeAlign.Scoring;
using SafeAlign.Scoring.Toss;
using SafeAlign.Experiments;
using SafeAlign.Pruning;
using SafeAlign.Pruning.Antidote;
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
    public void AddSafeAlign_RegistersTokenScorersByName_WithTheirOptions()
    {
        using var provider = new ServiceCollection().AddSafeAlign(o =>
        {
            o.Toss.DiscardRatio = 0.2;
            o.TossPro.SamplesPerRound = 5;
        }).BuildServiceProvider();

        var toss = Assert.IsType<TossScorer>(provider.GetRequiredKeyedService<ITokenRiskScorer>("toss"));
        Assert.Equal((0.2, 0, TossRanking.Global), (toss.Options.DiscardRatio, toss.Options.Rounds, toss.Options.Ranking));
        var pro = Assert.IsType<TossScorer>(provider.GetRequiredKeyedService<ITokenRiskScorer>("toss-pro"));
        Assert.Equal(("toss-pro", 2, 5), (pro.Name, pro.Options.Rounds, pro.Options.SamplesPerRound));
        var local = Assert.IsType<TossScorer>(provider.GetRequiredKeyedService<ITokenRiskScorer>("toss-local"));
        Assert.Equal((TossRanking.PerSample, 0.2), (local.Options.Ranking, local.Options.DiscardRatio));
        Assert.Equal(TossRanking.Global, toss.Options.Ranking); // deriving toss-local did not change the shared options
        Assert.Equal("toss-sample", provider.GetRequiredKeyedService<ITokenRiskScorer>("toss-sample").Name);
        Assert.Equal("toss-sample-sum", provider.GetRequiredKeyedService<ITokenRiskScorer>("toss-sample-sum").Name);
        Assert.IsType<RandomTokenScorer>(provider.GetRequiredKeyedService<ITokenRiskScorer>("random-tokens"));
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddSafeAlign(o => o.TossPro.Rounds = -1));
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

    [Fact]
    public void AddSafeAlign_RegistersAntidoteAndItsBaselines_SharingTheAntidoteOptions()
    {
        using var provider = new ServiceCollection().AddSafeAlign(o =>
        {
            o.Antidote.Ratio = 0.05;
            o.Antidote.Targets = ["q_proj"];
        }).BuildServiceProvider();

        foreach (string name in new[] { "antidote", "magnitude", "random-prune", "wanda-benign" })
        {
            var pruner = Assert.IsType<AntidotePruner>(provider.GetRequiredKeyedService<IPostFinetunePruner>(name));
            Assert.Equal(name, pruner.Name);
            Assert.Equal(0.05, pruner.Options.Ratio);
            Assert.Equal(["q_proj"], pruner.Options.Targets);
        }
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddSafeAlign(o => o.Antidote.Ratio = 2));
        Assert.Equal(["antidote", "magnitude", "random-prune", "wanda-benign"], ExperimentStages.Default().Pruners.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("random-prune", ExperimentStages.Default().Pruners["random-prune"](5).Name);
    }
}
