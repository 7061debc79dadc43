using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SafeAlign.Defenses;
using SafeAlign.Defenses.Booster;
using SafeAlign.Defenses.RepNoise;
using SafeAlign.Defenses.Sft;
using SafeAlign.Defenses.TVaccine;
using SafeAlign.Defenses.Vaccine;
using SafeAlign.Defenses.Lisa;
using SafeAlign.Evaluation;
using SafeAlign.Pipeline;
using SafeAlign.Scoring;
using SafeAlign.Scoring.Toss;
using SafeAlign.Pruning;
using SafeAlign.Pruning.Antidote;
using SafeAlign.Selection;
using SafeAlign.Selection.GradientNorm;
using SafeAlign.Selection.Loss;
using SafeAlign.Selection.Pharmacist;

namespace SafeAlign.DependencyInjection;

/// <summary>Registers SafeAlign's stages with a service collection.</summary>
public static class SafeAlignServiceCollectionExtensions
{
    /// <summary>
    /// Registers SafeAlign: the options as a singleton, every defense as a keyed <see cref="IAlignmentDefense"/> under its
    /// name ("sft", "vaccine", "t-vaccine", "repnoise", "booster", "booster+vaccine"), the default defense as the unkeyed one, selectors keyed by name ("pharmacist", "seal", "full", "random", "loss", "loss-high", "gradnorm"),
    /// token risk scorers keyed by name ("toss", "toss-pro", "toss-local", "toss-sample", "toss-sample-sum", "random-tokens"),
    /// post-fine-tuning pruners as keyed <see cref="IPostFinetunePruner"/>s ("antidote", "magnitude", "random-prune", "wanda-benign"), and the
    /// default judge and evaluator, Lisa as a keyed <see cref="FinetuningDefenseStage"/> ("lisa"), and a transient
    /// <see cref="SafetyPipeline"/> whose stages are the registrations named in <see cref="SafeAlignOptions.Pipeline"/>.
    /// Everything is added with TryAdd, so a registration made before this call wins and
    /// any stage can be swapped with <c>services.Replace(...)</c> afterwards.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adjusts the options (e.g. binds them from configuration).</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddSafeAlign(this IServiceCollection services, Action<SafeAlignOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new SafeAlignOptions();
        configure?.Invoke(options);
        options.Validate();
        services.TryAddSingleton(options);

        AddDefense(services, SftDefense.DefenseName, sp => new SftDefense(options.Sft, sp.GetService<ILoggerFactory>()));
        AddDefense(services, VaccineDefense.DefenseName, sp => new VaccineDefense(options.Vaccine, sp.GetService<ILoggerFactory>()));
        AddDefense(services, TVaccineDefense.DefenseName, sp => new TVaccineDefense(options.TVaccine, sp.GetService<ILoggerFactory>()));
        AddDefense(services, RepNoiseDefense.DefenseName, sp => new RepNoiseDefense(options.RepNoise, sp.GetService<ILoggerFactory>()));
        AddDefense(services, BoosterDefense.DefenseName, sp => new BoosterDefense(options.Booster, sp.GetService<ILoggerFactory>()));
        AddDefense(services, BoosterDefense.DefenseName + "+" + VaccineDefense.DefenseName,
            sp => new BoosterDefense(options.Booster, sp.GetService<ILoggerFactory>(), new VaccineStep(options.Vaccine.Rho)));
        services.TryAddSingleton(sp => sp.GetRequiredKeyedService<IAlignmentDefense>(sp.GetRequiredService<SafeAlignOptions>().DefaultDefense));

        services.TryAddKeyedSingleton<IAlignmentDataSelector>(RandomSelector.SelectorName, (_, _) => new RandomSelector(options.RandomSelector));
        services.TryAddKeyedSingleton<IAlignmentDataSelector>(FullSelector.SelectorName, (_, _) => new FullSelector());
        services.TryAddKeyedSingleton<IAlignmentDataSelector>(PharmacistSelector.SelectorName,
            (sp, _) => new PharmacistSelector(options.Pharmacist, sp.GetService<ILoggerFactory>()?.CreateLogger<PharmacistSelector>()));
        services.TryAddKeyedSingleton<IAlignmentDataSelector>(PharmacistSelector.AblationName,
            (sp, _) => new PharmacistSelector(options.Pharmacist.WithoutHarmfulStep(), sp.GetService<ILoggerFactory>()?.CreateLogger<PharmacistSelector>(), PharmacistSelector.AblationName));
        services.TryAddKeyedSingleton<IAlignmentDataSelector>(LossSelector.SelectorName, (_, _) => new LossSelector(options.LossSelector));
        services.TryAddKeyedSingleton<IAlignmentDataSelector>(LossSelector.HighestName, (_, _) => new LossSelector(options.LossSelector.WithKeep(KeepOrder.Highest)));
        services.TryAddKeyedSingleton<IAlignmentDataSelector>(GradientNormSelector.SelectorName, (_, _) => new GradientNormSelector(options.GradientNormSelector));

        AddScorer(services, TossScorer.ScorerName, sp => new TossScorer(options.Toss, sp.GetService<ILoggerFactory>()));
        AddScorer(services, TossScorer.ProScorerName, sp => new TossScorer(options.TossPro, sp.GetService<ILoggerFactory>()));
        AddScorer(services, TossScorer.LocalScorerName, sp => new TossScorer(WithRanking(options.Toss, TossRanking.PerSample), sp.GetService<ILoggerFactory>()));
        AddScorer(services, TossScorer.SampleScorerName, sp => new TossScorer(WithRanking(options.Toss, TossRanking.WholeSamples), sp.GetService<ILoggerFactory>()));
        AddScorer(services, TossScorer.SampleSumScorerName, sp => new TossScorer(WithRanking(options.Toss, TossRanking.WholeSamplesBySum), sp.GetService<ILoggerFactory>()));
        AddScorer(services, RandomTokenScorer.ScorerName, _ => new RandomTokenScorer(options.RandomTokens));
        AddPruner(services, AntidotePruner.PrunerName, sp => new AntidotePruner(options.Antidote, sp.GetService<ILoggerFactory>()));
        AddPruner(services, AntidotePruner.MagnitudeName, sp => AntidotePruner.Magnitude(options.Antidote, sp.GetService<ILoggerFactory>()));
        AddPruner(services, AntidotePruner.RandomName, sp => AntidotePruner.Random(options.Antidote, sp.GetService<ILoggerFactory>()));
        AddPruner(services, AntidotePruner.BenignWandaName, sp => AntidotePruner.BenignWanda(options.Antidote, sp.GetService<ILoggerFactory>()));

        services.TryAddKeyedSingleton(LisaDefense.DefenseName, (_, _) => new FinetuningDefenseStage(LisaDefense.DefenseName, data => new LisaDefense(data, options.Lisa)));

        services.TryAddSingleton<IHarmfulnessJudge>(_ => new RefusalPatternJudge());
        services.TryAddSingleton(sp => new SafetyEvaluator(sp.GetRequiredService<IHarmfulnessJudge>()));

        // The pipeline resolves its stages by the names in options.Pipeline when it is created, so a stage replaced or
        // added under a name (services.Replace / AddKeyedSingleton) is the one it runs.
        services.TryAddTransient(sp => PipelineStages(sp, sp.GetRequiredService<SafeAlignOptions>().Pipeline));
        services.TryAddTransient(sp =>
        {
            var configured = sp.GetRequiredService<SafeAlignOptions>();
            return new SafetyPipeline(sp.GetRequiredService<SafetyPipelineStages>(), configured.Pipeline, sp.GetRequiredService<SafetyEvaluator>(),
                configured.Device, sp.GetService<ILoggerFactory>());
        });
        return services;
    }

    private static SafetyPipelineStages PipelineStages(IServiceProvider services, SafetyPipelineOptions options)
    {
        T? Resolve<T>(string name, string setting) where T : class
        {
            if (SafetyPipelineOptions.Skips(name))
                return null;
            return services.GetKeyedService<T>(name) ?? throw new InvalidOperationException(
                $"SafeAlign:Pipeline:{setting} is \"{name}\", but no {typeof(T).Name} is registered under that name; use a name AddSafeAlign registers (see its documentation) or \"none\".");
        }
        return new SafetyPipelineStages
        {
            Selector = Resolve<IAlignmentDataSelector>(options.Selector, nameof(options.Selector)),
            Defense = Resolve<IAlignmentDefense>(options.Defense, nameof(options.Defense)),
            Scorer = Resolve<ITokenRiskScorer>(options.Scorer, nameof(options.Scorer)),
            Finetuning = Resolve<FinetuningDefenseStage>(options.FinetuningDefense, nameof(options.FinetuningDefense)),
            Pruner = Resolve<IPostFinetunePruner>(options.Pruner, nameof(options.Pruner)),
        };
    }

    private static void AddScorer(IServiceCollection services, string name, Func<IServiceProvider, ITokenRiskScorer> create) =>
        services.TryAddKeyedSingleton(name, (sp, _) => create(sp));

    private static TossOptions WithRanking(TossOptions options, TossRanking ranking)
    {
        var copy = options.Clone();
        copy.Ranking = ranking;
        copy.Rounds = 0;
        return copy;
    }

    private static void AddPruner(IServiceCollection services, string name, Func<IServiceProvider, IPostFinetunePruner> create) =>
        services.TryAddKeyedSingleton(name, (sp, _) => create(sp));

    private static void AddDefense(IServiceCollection services, string name, Func<IServiceProvider, IAlignmentDefense> create) =>
        services.TryAddKeyedSingleton(name, (sp, _) => create(sp));
}
