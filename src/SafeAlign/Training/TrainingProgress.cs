namespace SafeAlign.Training;

/// <summary>Progress of a training run, reported every <see cref="TrainerOptions.LogEvery"/> optimizer steps.</summary>
/// <param name="Step">Optimizer steps completed.</param>
/// <param name="TotalSteps">Optimizer steps the run will take.</param>
/// <param name="Epoch">Current epoch (0-based).</param>
/// <param name="Loss">Mean loss over the steps since the last report.</param>
/// <param name="LearningRate">Learning rate of the last step.</param>
/// <param name="TokensPerSecond">Real tokens per second since the last report.</param>
public readonly record struct TrainingProgress(int Step, int TotalSteps, int Epoch, double Loss, double LearningRate, double TokensPerSecond);

/// <summary>What a training run did.</summary>
/// <param name="Steps">Optimizer steps completed (including those before a resume).</param>
/// <param name="Losses">Loss of every optimizer step, in order (including those before a resume).</param>
/// <param name="Elapsed">Wall time of this run.</param>
/// <param name="Tokens">Real tokens processed in this run.</param>
/// <param name="PeakWorkingSetBytes">Process peak working set at the end of the run (<c>PeakMemory</c>; the experiment runner resets it before each alignment).</param>
public sealed record TrainingReport(int Steps, IReadOnlyList<double> Losses, TimeSpan Elapsed, long Tokens, long PeakWorkingSetBytes)
{
    /// <summary>Real tokens per second over this run.</summary>
    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? Tokens / Elapsed.TotalSeconds : 0;
}
