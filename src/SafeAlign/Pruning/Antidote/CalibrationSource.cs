namespace SafeAlign.Pruning.Antidote;

/// <summary>Which rows of a <see cref="PruningRequest"/> the Wanda statistic is collected on.</summary>
public enum CalibrationSource
{
    /// <summary><see cref="PruningRequest.Harmful"/>: harmful prompt → harmful answer (Antidote's re-alignment set).</summary>
    Harmful,

    /// <summary><see cref="PruningRequest.Benign"/>: benign instruction rows (the paper's ablation, <c>no_harmful_dataset</c>).</summary>
    Benign,
}
