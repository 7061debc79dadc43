using SafeAlign.Defenses.Sft;
using SafeAlign.Defenses;
using SafeAlign.Pruning;
using SafeAlign.Scoring;
using SafeAlign.Selection;

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

    /// <summary>Token risk scorers by name.</summary>
    public IDictionary<string, Func<long, ITokenRiskScorer>> Scorers { get; } = new Dictionary<string, Func<long, ITokenRiskScorer>>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Post-fine-tuning pruners by name.</summary>
    public IDictionary<string, Func<long, IPostFinetunePruner>> Pruners { get; } = new Dictionary<string, Func<long, IPostFinetunePruner>>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The stages SafeAlign ships, with the world's settings: SFT and the random selector.</summary>
    public static ExperimentStages Default()
    {
        var stages = new ExperimentStages();
        stages.Defenses[SftDefense.DefenseName] = seed => new SftDefense(new SftOptions { Seed = seed });
        stages.Selectors[RandomSelector.SelectorName] = seed => new RandomSelector(new RandomSelectorOptions { Seed = seed });
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
        Known(grid.Scorers, Scorers, "scorer");
        Known(grid.Pruners, Pruners, "pruner");
    }
}
