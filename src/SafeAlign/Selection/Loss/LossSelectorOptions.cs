namespace SafeAlign.Selection.Loss;

/// <summary>Settings of <see cref="LossSelector"/>: the shared budget plus which end of the loss to keep.</summary>
public sealed class LossSelectorOptions : SelectorOptions
{
    /// <summary>
    /// Keep the rows the base model finds easiest (<see cref="KeepOrder.Lowest"/>, default: the small-loss rule of
    /// noisy-label learning) or hardest (<see cref="KeepOrder.Highest"/>, "loss-high").
    /// </summary>
    public KeepOrder Keep { get; set; } = KeepOrder.Lowest;

    /// <summary>Rows per scoring pass (default 32).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Longest tokenized example; longer ones are cut (default 128).</summary>
    public int MaxLength { get; set; } = 128;

    /// <summary>A copy keeping the other end (or the same one) of the loss.</summary>
    /// <param name="keep">Which end the copy keeps.</param>
    public LossSelectorOptions WithKeep(KeepOrder keep)
    {
        var copy = (LossSelectorOptions)MemberwiseClone();
        copy.Keep = keep;
        return copy;
    }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!Enum.IsDefined(Keep))
            throw new ArgumentException($"LossSelectorOptions.Keep is {Keep}; expected Lowest or Highest.");
        if (BatchSize < 1)
            throw new ArgumentException($"LossSelectorOptions.BatchSize is {BatchSize}; expected at least 1.");
        if (MaxLength < 2)
            throw new ArgumentException($"LossSelectorOptions.MaxLength is {MaxLength}; expected at least 2.");
    }
}
