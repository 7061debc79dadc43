using Microsoft.Extensions.Logging;
using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Native;
using SafeAlign.Tokenization;

namespace SafeAlign.Training;

/// <summary>
/// Runs a user fine-tuning job: merges any attached adapter into the weights, attaches a fresh LoRA on all seven
/// projections and trains it on the given examples with the <see cref="Trainer"/>. The harmful fine-tuning attack and
/// the <see cref="Pipeline.SafetyPipeline"/>'s fine-tuning stage are both this job.
/// </summary>
public sealed class Finetuner
{
    private readonly FinetuneOptions _options;
    private readonly ILogger<Trainer>? _logger;

    /// <summary>Creates the job.</summary>
    /// <param name="options">The recipe; validated here.</param>
    /// <param name="logger">Receives the trainer's log lines.</param>
    public Finetuner(FinetuneOptions options, ILogger<Trainer>? logger = null)
    {
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        _logger = logger;
    }

    /// <summary>Fine-tunes a fresh LoRA on <paramref name="examples"/>; the new adapter stays attached.</summary>
    /// <param name="model">The (aligned) model.</param>
    /// <param name="tokenizer">Its tokenizer (for the padding id).</param>
    /// <param name="examples">The user data, tokenized (labels mark the trained tokens).</param>
    /// <param name="defense">A fine-tuning-stage defense (e.g. Lisa) that supplies the training step; none by default.</param>
    /// <param name="progress">Receives training progress.</param>
    /// <param name="cancellationToken">Stops training between steps.</param>
    public TrainingReport Train(CausalLM model, HfTokenizer tokenizer, IReadOnlyList<TokenizedExample> examples, IFinetuningDefense? defense = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0)
            throw new ArgumentException("Finetuner.Train: no examples to fine-tune on.", nameof(examples));
        // The merge and the run on one compute thread that ends with them (ComputeThread: OpenMP teams are per thread).
        return ComputeThread.Run(() => TrainHere(model, tokenizer, examples, defense, progress, cancellationToken));
    }

    private TrainingReport TrainHere(CausalLM model, HfTokenizer tokenizer, IReadOnlyList<TokenizedExample> examples, IFinetuningDefense? defense,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        if (model.Lora is not null)
            model.MergeAndDetachLora();
        model.AttachLora(new LoraConfig { Rank = _options.LoraRank, Alpha = _options.LoraAlpha, TargetModules = [.. LoraConfig.AllProjections], Seed = _options.Seed });
        var trainer = new Trainer(TrainerOptions(tokenizer.PadId ?? 0), _logger);
        var step = defense?.CreateStep(new FinetuningJob(model, tokenizer, trainer.Options, trainer.TotalSteps(examples.Count), _options.MaxLength));
        try
        {
            return trainer.Run(model, examples, step, progress, cancellationToken);
        }
        finally
        {
            (step as IDisposable)?.Dispose();
        }
    }

    private TrainerOptions TrainerOptions(int padId) => new()
    {
        LearningRate = _options.LearningRate,
        Epochs = _options.Epochs,
        Schedule = _options.Schedule,
        WarmupRatio = _options.WarmupRatio,
        WeightDecay = _options.WeightDecay,
        BatchSize = _options.BatchSize,
        MaxLength = _options.MaxLength,
        PadTokenId = padId,
        Seed = _options.Seed,
        LossNormalization = _options.LossNormalization,
        LengthSortedSplits = _options.LengthSortedSplits,
        ShareCommonPrefix = _options.ShareCommonPrefix,
        LogEvery = 10,
    };
}
