namespace SafeAlign.Pruning.Antidote;

/// <summary>How <see cref="AntidotePruner"/> scores each candidate weight before zeroing the top of every row.</summary>
public enum PruningCriterion
{
    /// <summary>Wanda's <c>|W_ij| · sqrt(S_j)</c> on calibration activations: Antidote itself (paper §4).</summary>
    Wanda,

    /// <summary><c>|W_ij|</c> only, no data (the reference's <c>sample_num = 0</c>).</summary>
    Magnitude,

    /// <summary>Seeded uniform random scores: the same number of random entries per row (the reference's <c>random_prune</c>).</summary>
    Random,
}
