using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SafeAlign.Evaluation;
using SafeAlign.Tokenization;
using SafeAlign.Training;

namespace SafeAlign.Defenses;

/// <summary>
/// The shape every trained alignment defense shares: attach a fresh LoRA, run SafeAlign's <see cref="Trainer"/> over
/// the supervised alignment rows with the method's <see cref="ITrainingStep"/>, and leave the adapter attached. A
/// method differs only in its step (and, where it needs one, the data it builds); the loop exists once, in the trainer.
/// </summary>
/// <typeparam name="TOptions">The method's options.</typeparam>
public abstract class TrainedAlignmentDefense<TOptions> : IAlignmentDefense where TOptions : AlignmentDefenseOptions
{
    /// <summary>Creates the defense.</summary>
    /// <param name="options">The method's settings; validated here.</param>
    /// <param name="loggerFactory">Creates the trainer's and the method's loggers; none by default.</param>
    protected TrainedAlignmentDefense(TOptions options, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>The method's settings.</summary>
    public TOptions Options { get; }

    /// <summary>Creates loggers.</summary>
    protected ILoggerFactory LoggerFactory { get; }

    /// <inheritdoc />
    public async Task<AlignmentResult> AlignAsync(AlignmentRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var examples = BuildExamples(request);
        var lora = Options.Lora();
        request.Model.AttachLora(lora);
        try
        {
            var step = CreateStep(request);
            try
            {
                var trainer = new Trainer(Options.Trainer(request.Tokenizer.PadId ?? 0), LoggerFactory.CreateLogger<Trainer>());
                var report = await trainer.RunAsync(request.Model, examples, step, progress, cancellationToken).ConfigureAwait(false);
                return new AlignmentResult(Name, lora, report, examples.Count);
            }
            finally
            {
                (step as IDisposable)?.Dispose();
            }
        }
        catch
        {
            request.Model.DetachLora(); // nothing half-trained is left attached
            throw;
        }
    }

    /// <summary>The examples the trainer iterates over: by default every supervised row of the request's data.</summary>
    /// <param name="request">The validated request.</param>
    protected virtual IReadOnlyList<TokenizedExample> BuildExamples(AlignmentRequest request) =>
        InstructionExamples.Build(request.Tokenizer, Options.MaxLength, request.Data.SupervisedItems());

    /// <summary>The method's training step; called after the adapter is attached. Disposed after training if disposable.</summary>
    /// <param name="request">The validated request.</param>
    protected abstract ITrainingStep CreateStep(AlignmentRequest request);
}
