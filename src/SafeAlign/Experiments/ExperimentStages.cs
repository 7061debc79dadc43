using SafeAlign.Data;
using SafeAlign.Defenses;
using SafeAlign.Defenses.Booster;
using SafeAlign.Defenses.Lisa;
using SafeAlign.Defenses.RepNoise;
using SafeAlign.Defenses.Sft;
using SafeAlign.Defenses.TVaccine;
using SafeAlign.Defenses.Vaccine;
using SafeAlign.Evaluation;
using SafeAlign.Pruning;
using SafeAlign.Pruning.Antidote;
using SafeAlign.Scoring;
using SafeAlign.Scoring.Toss;
using SafeAlign.Selection;
using SafeAlign.Selection.GradientNorm;
using SafeAlign.Selection.Loss;
using SafeAlign.Selection.Pharmacist;

namespace SafeAlign.Experiments;

/// <summary>
/// The stage implementations an <see cref="ExperimentRunner"/> may use, by name. Each entry is a factory taking the
/// cell's seed, so every stage's own randomness follows the experiment's seed.
/// </summary>
public sealed class ExperimentStages
{
    /// <summary>The name that skips a stage.</summary>
    public const string None = "none";

    /// <summary>Alignment-data selectors by name.</summary>
    public IDictionary<string, Func<long, IAlignmentDataSelector>> Selectors { get; } = new Dictionary<string, Func<long, IAlignmentDataSelector>>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Alignment defenses by name.</summary>
    public IDictionary<string, Func<long, IAlignmentDefense>> Defenses { get; } = new Dictionary<string, Func<long, IAlignmentDefense>>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Fine-tuning-stage defenses by name; the factory also receives the alignment data the cell aligned on.</summary>
    public IDictionary<string, Func<long, AlignmentData, IFinetuningDefense>> Finetuning { get; } = new Dictionary<string, Func<long, AlignmentData, IFinetuningDefense>>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Token risk scorers by name.</summary>
    public IDictionary<string, Func<long, ITokenRiskScorer>> Scorers { get; } = new Dictionary<string, Func<long, ITokenRiskScorer>>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Post-fine-tuning pruners by name.</summary>
    public IDictionary<string, Func<long, IPostFinetunePruner>> Pruners { get; } = new Dictionary<string, Func<long, IPostFinetunePruner>>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The stages SafeAlign ships, with their default (world-scaled) settings and the cell's seed: every alignment
    /// defense (and Booster on Vaccine's perturbed gradient as "booster+vaccine"), Lisa, the selectors (Pharmacist, its validation-only ablation "seal", and the baselines "full", "random",
    /// "loss", "loss-high" and "gradnorm", all at Pharmacist's default ratio 0.4), the token
    /// scorers: TOSS ("toss"), TOSS-Pro with T = 2 ("toss-pro"), TOSS with per-sample ranking ("toss-local"), the
    /// sample-level baselines on TOSS's harmful reference ("toss-sample") and on TOSS's summed score ("toss-sample-sum") and the random token baseline ("random-tokens"); and the post-fine-tuning pruners (Antidote and its baselines "magnitude", "random-prune", "wanda-benign").
    /// </summary>
    public static ExperimentStages Default()
    {
        var stages = new ExperimentStages();
        stages.Defenses[SftDefense.DefenseName] = seed => new SftDefense(new SftOptions { Seed = seed });
        stages.Defenses[VaccineDefense.DefenseName] = seed => new VaccineDefense(new VaccineOptions { Seed = seed });
        stages.Defenses[TVaccineDefense.DefenseName] = seed => new TVaccineDefense(new TVaccineOptions { Seed = seed });
        stages.Defenses[RepNoiseDefense.DefenseName] = seed => new RepNoiseDefense(new RepNoiseOptions { Seed = seed });
        stages.Defenses[BoosterDefense.DefenseName] = seed => new BoosterDefense(new BoosterOptions { Seed = seed });
        stages.Defenses[BoosterDefense.DefenseName + "+" + VaccineDefense.DefenseName] =
            seed => new BoosterDefense(new BoosterOptions { Seed = seed }, alignmentStep: new VaccineStep(new VaccineOptions().Rho));
        stages.Finetuning[LisaDefense.DefenseName] = (seed, data) => new LisaDefense(data);
        stages.Selectors[RandomSelector.SelectorName] = seed => new RandomSelector(new RandomSelectorOptions { Seed = seed });
        stages.Selectors[FullSelector.SelectorName] = _ => new FullSelector();
        stages.Selectors[PharmacistSelector.SelectorName] = seed => new PharmacistSelector(new PharmacistOptions { Seed = seed });
        stages.Selectors[PharmacistSelector.AblationName] = seed => new PharmacistSelector(new PharmacistOptions { Seed = seed, UseHarmfulStep = false });
        stages.Selectors[LossSelector.SelectorName] = seed => new LossSelector(new LossSelectorOptions { Seed = seed });
        stages.Selectors[LossSelector.HighestName] = seed => new LossSelector(new LossSelectorOptions { Seed = seed, Keep = KeepOrder.Highest });
        stages.Selectors[GradientNormSelector.SelectorName] = seed => new GradientNormSelector(new GradientNormSelectorOptions { Seed = seed });
        stages.Scorers[TossScorer.ScorerName] = seed => new TossScorer(new TossOptions { Seed = seed });
        stages.Scorers[TossScorer.ProScorerName] = seed => new TossScorer(new TossOptions { Seed = seed, Rounds = 2 });
        stages.Scorers[TossScorer.LocalScorerName] = seed => new TossScorer(new TossOptions { Seed = seed, Ranking = TossRanking.PerSample });
        stages.Scorers[TossScorer.SampleScorerName] = seed => new TossScorer(new TossOptions { Seed = seed, Ranking = TossRanking.WholeSamples });
        stages.Scorers[TossScorer.SampleSumScorerName] = seed => new TossScorer(new TossOptions { Seed = seed, Ranking = TossRanking.WholeSamplesBySum });
        stages.Scorers[RandomTokenScorer.ScorerName] = seed => new RandomTokenScorer(new RandomTokenScorerOptions { Seed = seed });
        stages.Pruners[AntidotePruner.PrunerName] = seed => new AntidotePruner(new AntidoteOptions { Seed = seed });
        stages.Pruners[AntidotePruner.MagnitudeName] = seed => AntidotePruner.Magnitude(new AntidoteOptions { Seed = seed });
        stages.Pruners[AntidotePruner.RandomName] = seed => AntidotePruner.Random(new AntidoteOptions { Seed = seed });
        stages.Pruners[AntidotePruner.BenignWandaName] = seed => AntidotePruner.BenignWanda(new AntidoteOptions { Seed = seed });
        return stages;
    }

    internal void Check(ExperimentGrid grid)
    {
        static void Known<T>(IEnumerable<string> names, IDictionary<string, T> known, string stage)
        {
            foreach (string name in names)
            {
                if (!string.Equals(name, None, StringComparison.OrdinalIgnoreCase) && !known.ContainsKey(name))
                    throw new ArgumentException($"ExperimentGrid names the {stage} '{name}', which is not registered; registered: {string.Join(", ", known.Keys.Prepend(None))}.");
            }
        }
        Known(grid.Selectors, Selectors, "selector");
        Known(grid.Defenses, Defenses, "defense");
        Known(grid.Finetuning, Finetuning, "fine-tuning defense");
        Known(grid.Scorers, Scorers, "scorer");
        Known(grid.Pruners, Pruners, "pruner");
    }
}
