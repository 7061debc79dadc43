using System.Diagnostics;
using SafeAlign.Defenses;
using SafeAlign.Evaluation;
using SafeAlign.Models.Lora;
using SafeAlign.Training;

namespace SafeAlign.Testing;

/// <summary>
/// An <see cref="IAlignmentDefense"/> for tests that need a defense but not its cost. Like every defense it attaches a
/// LoRA adapter and leaves it attached; with 0 training steps (default) the adapter's B factor stays zero, so the model
/// computes exactly what it did before; with a few steps it runs plain SFT (SafeAlign's <see cref="Trainer"/>) on the
/// request's supervised rows. Records every request.
/// </summary>
public sealed class RecordingDefense : IAlignmentDefense
{
    /// <summary>The default name.</summary>
    public const string DefaultName = "recording";

    private readonly Recorder<AlignmentRequest> _requests = new();

    /// <summary>Creates the defense.</summary>
    /// <param name="trainSteps">SFT steps to run (default 0: attach the adapter only).</param>
    /// <param name="adapter">The adapter to attach (default rank 2, α 4 on q_proj and v_proj, seed 42).</param>
    /// <param name="name">The name it reports (default "recording").</param>
    /// <exception cref="ArgumentException">The step count is negative, the adapter is invalid, or the name is blank.</exception>
    public RecordingDefense(int trainSteps = 0, LoraConfig? adapter = null, string name = DefaultName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trainSteps);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        TrainSteps = trainSteps;
        Adapter = (adapter ?? new LoraConfig { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj"], Seed = 42 }).Validate();
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>SFT steps per alignment.</summary>
    public int TrainSteps { get; }

    /// <summary>The adapter attached.</summary>
    public LoraConfig Adapter { get; }

    /// <summary>Learning rate of the SFT steps (default 1e-3).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Examples per SFT step (default 8).</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Every request received, in order.</summary>
    public IReadOnlyList<AlignmentRequest> Requests => _requests.Snapshot();

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The request is invalid (e.g. the model already carries an adapter).</exception>
    public async Task<AlignmentResult> AlignAsync(AlignmentRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        _requests.Add(request);
        var clock = Stopwatch.StartNew();
        var items = request.Data.SupervisedItems().ToList();
        request.Model.AttachLora(Adapter);
        try
        {
            if (TrainSteps == 0)
                return new AlignmentResult(Name, Adapter, new TrainingReport(0, [], clock.Elapsed, 0, Environment.WorkingSet), items.Count);
            var examples = InstructionExamples.Build(request.Tokenizer, 128, items);
            var trainer = new Trainer(new TrainerOptions
            {
                LearningRate = LearningRate,
                BatchSize = BatchSize,
                MaxSteps = TrainSteps,
                Epochs = TrainSteps,
                MaxLength = 128,
                PadTokenId = request.Tokenizer.PadId ?? 0,
                Seed = Adapter.Seed,
                LogEvery = 1,
            }.Validate());
            var report = await trainer.RunAsync(request.Model, examples, SupervisedStep.Instance, progress, cancellationToken).ConfigureAwait(false);
            return new AlignmentResult(Name, Adapter, report, examples.Count);
        }
        catch
        {
            request.Model.DetachLora(); // as the real defenses: nothing half-trained is left attached
            throw;
        }
    }
}
