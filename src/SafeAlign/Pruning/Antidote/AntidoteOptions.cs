using SafeAlign.Models.Lora;

namespace SafeAlign.Pruning.Antidote;

/// <summary>
/// Settings of <see cref="AntidotePruner"/> (Huang et al., arXiv 2408.09600); defaults follow the reference scripts
/// (<c>git-disl/Antidote</c>): q/k/v adapter factors, 10 % of every row, up to 2,000 harmful calibration samples.
/// </summary>
public sealed class AntidoteOptions
{
    /// <summary>
    /// Share α of every row's entries zeroed (the reference's <c>dense_ratio</c>, which despite its name is the share
    /// removed; default 0.1 as the SST-2 and Alpaca scripts, 0.05 in the GSM8K and sweep scripts). A row of c entries
    /// loses <c>c − ⌊c·(1 − α)⌋</c> (see <see cref="RowPruning.PrunedPerRow"/>).
    /// </summary>
    public double Ratio { get; set; } = 0.1;

    /// <summary>Projections pruned (default q_proj, k_proj, v_proj, as the reference); any of <see cref="LoraConfig.AllProjections"/>.</summary>
    public IList<string> Targets { get; set; } = ["q_proj", "k_proj", "v_proj"];

    /// <summary>Score (default <see cref="PruningCriterion.Wanda"/>; magnitude and random are the paper's baselines).</summary>
    public PruningCriterion Criterion { get; set; } = PruningCriterion.Wanda;

    /// <summary>Calibration rows for the Wanda score (default <see cref="CalibrationSource.Harmful"/>).</summary>
    public CalibrationSource Calibration { get; set; } = CalibrationSource.Harmful;

    /// <summary>Adapter factors (default) or dense weights of a fully fine-tuned model.</summary>
    public PruningScope Scope { get; set; } = PruningScope.Adapter;

    /// <summary>Calibration samples taken, the first ones in order (default 2,000, the reference's sample count).</summary>
    public int MaxCalibrationSamples { get; set; } = 2_000;

    /// <summary>
    /// Calibration sequences per forward pass (default 8). The reference runs one at a time; padded batches give the same
    /// statistics up to fp32 rounding (padding is masked out), so 1 only reproduces its order of additions.
    /// </summary>
    public int BatchSize { get; set; } = 8;

    /// <summary>Longest calibration sequence in tokens; longer ones are cut (default 2,048, the reference's limit).</summary>
    public int MaxLength { get; set; } = 2_048;

    /// <summary>Seed of the <see cref="PruningCriterion.Random"/> scores (default 42).</summary>
    public long Seed { get; set; } = 42;

    /// <summary>Keep which entries were zeroed in <see cref="PruningResult.Masks"/> (default true; 8 bytes per zeroed entry).</summary>
    public bool RecordMasks { get; set; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    /// <returns>This instance.</returns>
    public AntidoteOptions Validate()
    {
        if (!(Ratio >= 0 && Ratio <= 1))
            throw new ArgumentException($"AntidoteOptions.Ratio is {Ratio}; expected a share in [0, 1].");
        if (Targets is null || Targets.Count == 0)
            throw new ArgumentException($"AntidoteOptions.Targets is empty; expected some of {string.Join(", ", LoraConfig.AllProjections)}.");
        foreach (string target in Targets)
        {
            if (!LoraConfig.AllProjections.Contains(target))
                throw new ArgumentException($"AntidoteOptions.Targets names '{target}'; expected some of {string.Join(", ", LoraConfig.AllProjections)}.");
        }
        if (!Enum.IsDefined(Criterion))
            throw new ArgumentException($"AntidoteOptions.Criterion is {(int)Criterion}; expected one of {string.Join(", ", Enum.GetNames<PruningCriterion>())}.");
        if (!Enum.IsDefined(Calibration))
            throw new ArgumentException($"AntidoteOptions.Calibration is {(int)Calibration}; expected one of {string.Join(", ", Enum.GetNames<CalibrationSource>())}.");
        if (!Enum.IsDefined(Scope))
            throw new ArgumentException($"AntidoteOptions.Scope is {(int)Scope}; expected one of {string.Join(", ", Enum.GetNames<PruningScope>())}.");
        if (MaxCalibrationSamples < 1)
            throw new ArgumentException($"AntidoteOptions.MaxCalibrationSamples is {MaxCalibrationSamples}; expected at least 1.");
        if (BatchSize < 1)
            throw new ArgumentException($"AntidoteOptions.BatchSize is {BatchSize}; expected at least 1.");
        if (MaxLength < 2)
            throw new ArgumentException($"AntidoteOptions.MaxLength is {MaxLength}; expected at least 2 tokens.");
        return this;
    }

    /// <summary>A copy with another criterion and calibration source (how the baselines are derived from one set of settings).</summary>
    public AntidoteOptions With(PruningCriterion criterion, CalibrationSource calibration = CalibrationSource.Harmful) => new()
    {
        Ratio = Ratio, Targets = [.. Targets ?? []], Criterion = criterion, Calibration = calibration, Scope = Scope,
        MaxCalibrationSamples = MaxCalibrationSamples, BatchSize = BatchSize, MaxLength = MaxLength, Seed = Seed, RecordMasks = RecordMasks,
    };
}
