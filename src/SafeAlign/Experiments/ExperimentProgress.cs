namespace SafeAlign.Experiments;

/// <summary>Where an experiment run is.</summary>
/// <param name="Completed">Rows finished.</param>
/// <param name="Total">Rows in the grid.</param>
/// <param name="Stage">What is running now (e.g. "seed 2: aligning with vaccine").</param>
public readonly record struct ExperimentProgress(int Completed, int Total, string Stage);
