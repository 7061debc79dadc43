using SafeAlign.Evaluation.World;

using SafeAlign.Evaluation;

namespace SafeAlign.Experiments;

/// <summary>
/// The grid an <see cref="ExperimentRunner"/> runs on the embedded world: every combination of seed × selector ×
/// defense × fine-tuning defense × scorer × pruner × harmful ratio. Stage names refer to <see cref="ExperimentStages"/>;
/// <see cref="ExperimentStages.None"/> skips a stage.
/// </summary>
public sealed class ExperimentGrid
{
    /// <summary>World seeds (default 1, 2, 3); each seed is its own world, base model and attack draw.</summary>
    public IList<long> Seeds { get; set; } = [1, 2, 3];

    /// <summary>Alignment-data selectors (default none: the whole alignment set).</summary>
    public IList<string> Selectors { get; set; } = [ExperimentStages.None];

    /// <summary>Alignment defenses (default "sft"); "none" leaves the base model unaligned.</summary>
    public IList<string> Defenses { get; set; } = ["sft"];

    /// <summary>Fine-tuning-stage defenses the attack runs with (default none; "lisa").</summary>
    public IList<string> Finetuning { get; set; } = [ExperimentStages.None];

    /// <summary>Token risk scorers applied to the user data before the attack (default none).</summary>
    public IList<string> Scorers { get; set; } = [ExperimentStages.None];

    /// <summary>Post-fine-tuning pruners (default none).</summary>
    public IList<string> Pruners { get; set; } = [ExperimentStages.None];

    /// <summary>Harmful ratios p of the attack (default 0.1).</summary>
    public IList<double> HarmfulRatios { get; set; } = [0.1];

    /// <summary>
    /// The attack's settings; <see cref="HarmfulFinetuneAttackOptions.HarmfulRatio"/> and
    /// <see cref="Training.FinetuneOptions.Seed"/> are set per cell.
    /// </summary>
    public HarmfulFinetuneAttackOptions Attack { get; set; } = new();

    /// <summary>The world's task the attack's benign rows come from and fine-tune accuracy is measured on (default "sst2").</summary>
    public string Task { get; set; } = "sst2";

    /// <summary>Held-out prompts per measurement (default 200).</summary>
    public int EvaluationSize { get; set; } = 200;

    /// <summary>The world's sizes for a seed (default: the default world).</summary>
    public Func<long, SafetyWorldOptions> World { get; set; } = seed => new SafetyWorldOptions { Seed = seed };

    /// <summary>The base model's recipe (default: the default recipe).</summary>
    public WorldBaseModelOptions BaseModel { get; set; } = new();

    /// <summary>Number of cells (rows) the grid produces.</summary>
    public int Count => Seeds.Count * Selectors.Count * Defenses.Count * Finetuning.Count * Scorers.Count * Pruners.Count * HarmfulRatios.Count;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first empty or out-of-range setting.</summary>
    public ExperimentGrid Validate()
    {
        static void NotEmpty<T>(IList<T>? list, string name)
        {
            if (list is null || list.Count == 0)
                throw new ArgumentException($"ExperimentGrid.{name} is empty; expected at least one value.");
        }
        NotEmpty(Seeds, nameof(Seeds));
        NotEmpty(Selectors, nameof(Selectors));
        NotEmpty(Defenses, nameof(Defenses));
        NotEmpty(Finetuning, nameof(Finetuning));
        NotEmpty(Scorers, nameof(Scorers));
        NotEmpty(Pruners, nameof(Pruners));
        NotEmpty(HarmfulRatios, nameof(HarmfulRatios));
        if (HarmfulRatios.Any(p => !(p >= 0 && p <= 1)))
            throw new ArgumentException($"ExperimentGrid.HarmfulRatios holds {string.Join(", ", HarmfulRatios)}; expected values in [0, 1].");
        if (EvaluationSize < 1)
            throw new ArgumentException($"ExperimentGrid.EvaluationSize is {EvaluationSize}; expected at least 1.");
        if (!SafetyWorld.Tasks.Contains(Task))
            throw new ArgumentException($"ExperimentGrid.Task is '{Task}'; expected one of {string.Join(", ", SafetyWorld.Tasks)}.");
        ArgumentNullException.ThrowIfNull(Attack);
        ArgumentNullException.ThrowIfNull(World);
        ArgumentNullException.ThrowIfNull(BaseModel);
        return this;
    }
}
