using Microsoft.Extensions.Logging;
using SafeAlign.Data;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Tokenization;
using SafeAlign.Training;

namespace SafeAlign.Evaluation;

/// <summary>
/// The user fine-tuning job of the harmful fine-tuning threat model, with the papers' knobs: the fine-tuning recipe
/// (<see cref="FinetuneOptions"/>) plus how the attack builds the user's data (n samples, harmful ratio p).
/// </summary>
public sealed class HarmfulFinetuneAttackOptions : FinetuneOptions
{
    /// <summary>User samples n (default 1,000, as Vaccine/Booster/T-Vaccine).</summary>
    public int Samples { get; set; } = 1_000;

    /// <summary>Harmful ratio p (default 0.1); ⌈p·n⌉ samples are harmful.</summary>
    public double HarmfulRatio { get; set; } = 0.1;

    /// <summary>Checks ranges.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public new HarmfulFinetuneAttackOptions Validate()
    {
        if (Samples < 1)
            throw new ArgumentException($"HarmfulFinetuneAttackOptions.Samples is {Samples}; expected at least 1.");
        if (!(HarmfulRatio >= 0 && HarmfulRatio <= 1))
            throw new ArgumentException($"HarmfulFinetuneAttackOptions.HarmfulRatio is {HarmfulRatio}; expected a value in [0, 1].");
        base.Validate();
        return this;
    }
}

/// <summary>
/// The attack every defense is measured against: the aligned model's adapter is merged into its weights, a fresh
/// LoRA is attached, and it is fine-tuned on n user samples of which ⌈p·n⌉ are harmful prompt → harmful answer
/// pairs and the rest task examples (Alpaca format, loss on the response only).
/// </summary>
public sealed class HarmfulFinetuneAttack
{
    private readonly HarmfulFinetuneAttackOptions _options;
    private readonly ILogger<Trainer>? _logger;

    /// <summary>Creates the attack.</summary>
    public HarmfulFinetuneAttack(HarmfulFinetuneAttackOptions options, ILogger<Trainer>? logger = null)
    {
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        _logger = logger;
    }

    /// <summary>
    /// ⌈p·n⌉, the number of harmful samples; they come first in <see cref="BuildUserData"/> and <see cref="BuildExamples"/>,
    /// so example i is harmful exactly when i &lt; HarmfulCount (the ground truth a token mask is measured against).
    /// </summary>
    public int HarmfulCount => (int)Math.Ceiling(_options.HarmfulRatio * _options.Samples);

    /// <summary>The user data set: ⌈p·n⌉ harmful pairs then task examples, drawn without replacement with the seed.</summary>
    public (List<(string Instruction, string? Input, string Response)> Items, int Harmful) BuildUserData(IReadOnlyList<SafetyExample> harmfulPool, IReadOnlyList<TaskExample> taskPool)
    {
        ArgumentNullException.ThrowIfNull(harmfulPool);
        ArgumentNullException.ThrowIfNull(taskPool);
        int harmful = HarmfulCount;
        int benign = _options.Samples - harmful;
        if (harmful > harmfulPool.Count || benign > taskPool.Count)
            throw new ArgumentException($"The attack needs {harmful} harmful and {benign} task samples; the pools hold {harmfulPool.Count} and {taskPool.Count}.");
        var random = new Random(unchecked((int)_options.Seed));
        var items = Sample(random, harmfulPool, harmful).Select(h => (h.Prompt, (string?)null, h.Response))
            .Concat(Sample(random, taskPool, benign).Select(t => (t.Instruction, t.Input.Length == 0 ? null : (string?)t.Input, t.Answer)))
            .ToList();
        return (items, harmful);
    }

    /// <summary>
    /// The user data set of <see cref="BuildUserData"/> as task rows (harmful rows under the task name "harmful") with a
    /// flag per row saying whether it is harmful: the form <see cref="Pipeline.SafetyPipelineRequest"/> takes.
    /// </summary>
    public (List<TaskExample> Rows, List<bool> IsHarmful) BuildUserRows(IReadOnlyList<SafetyExample> harmfulPool, IReadOnlyList<TaskExample> taskPool)
    {
        var (items, harmful) = BuildUserData(harmfulPool, taskPool);
        string task = taskPool.Count > 0 ? taskPool[0].Task : "task";
        var rows = items.Select((item, i) => new TaskExample(i < harmful ? "harmful" : task, item.Instruction, item.Input ?? "", item.Response)).ToList();
        return (rows, Enumerable.Range(0, rows.Count).Select(i => i < harmful).ToList());
    }

    /// <summary>Builds and tokenizes the user data set (Alpaca format, response-only labels).</summary>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="harmfulPool">Harmful prompt → harmful answer pairs to draw from.</param>
    /// <param name="taskPool">Benign task examples to draw from.</param>
    public List<TokenizedExample> BuildExamples(HfTokenizer tokenizer, IReadOnlyList<SafetyExample> harmfulPool, IReadOnlyList<TaskExample> taskPool)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return InstructionExamples.Build(tokenizer, _options.MaxLength, BuildUserData(harmfulPool, taskPool).Items);
    }

    /// <summary>
    /// Runs the attack: builds the user data, merges any attached adapter into the weights, attaches a fresh LoRA and
    /// fine-tunes it. The new adapter stays attached.
    /// </summary>
    /// <param name="model">The aligned model.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="harmfulPool">Harmful prompt → harmful answer pairs to draw from.</param>
    /// <param name="taskPool">Benign task examples to draw from.</param>
    /// <param name="progress">Receives training progress.</param>
    /// <param name="cancellationToken">Stops training between steps.</param>
    public TrainingReport Run(CausalLM model, HfTokenizer tokenizer, IReadOnlyList<SafetyExample> harmfulPool, IReadOnlyList<TaskExample> taskPool,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RunCore(model, tokenizer, harmfulPool, taskPool, defense: null, progress, cancellationToken);

    /// <summary>
    /// As <see cref="Run(CausalLM, HfTokenizer, IReadOnlyList{SafetyExample}, IReadOnlyList{TaskExample}, IProgress{TrainingProgress}?, CancellationToken)"/>,
    /// with the provider's fine-tuning-stage <paramref name="defense"/> (e.g. Lisa) supplying the training step.
    /// </summary>
    public TrainingReport Run(CausalLM model, HfTokenizer tokenizer, IReadOnlyList<SafetyExample> harmfulPool, IReadOnlyList<TaskExample> taskPool,
        IFinetuningDefense defense, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(defense);
        return RunCore(model, tokenizer, harmfulPool, taskPool, defense, progress, cancellationToken);
    }

    private TrainingReport RunCore(CausalLM model, HfTokenizer tokenizer, IReadOnlyList<SafetyExample> harmfulPool, IReadOnlyList<TaskExample> taskPool,
        IFinetuningDefense? defense, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Train(model, tokenizer, BuildExamples(tokenizer, harmfulPool, taskPool), defense, progress, cancellationToken);
    }

    /// <summary>
    /// Fine-tunes on already tokenized user data (e.g. data whose risky tokens a scorer masked): merges any attached
    /// adapter into the weights, attaches a fresh LoRA and trains it. The new adapter stays attached.
    /// </summary>
    /// <param name="model">The aligned model.</param>
    /// <param name="tokenizer">Its tokenizer (for the padding id).</param>
    /// <param name="examples">The user data.</param>
    /// <param name="defense">A fine-tuning-stage defense (e.g. Lisa) that supplies the training step; none by default.</param>
    /// <param name="progress">Receives training progress.</param>
    /// <param name="cancellationToken">Stops training between steps.</param>
    public TrainingReport Train(CausalLM model, HfTokenizer tokenizer, IReadOnlyList<TokenizedExample> examples, IFinetuningDefense? defense = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(examples);
        return new Finetuner(_options, _logger).Train(model, tokenizer, examples, defense, progress, cancellationToken);
    }

    private static IEnumerable<T> Sample<T>(Random random, IReadOnlyList<T> pool, int count)
    {
        var indices = Enumerable.Range(0, pool.Count).ToArray();
        random.Shuffle(indices);
        return indices.Take(count).Select(i => pool[i]);
    }
}
