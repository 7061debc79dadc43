namespace SafeAlign.Training;

/// <summary>How a supervised step reduces the per-token losses of a micro-batch to one scalar.</summary>
public enum TokenLossNormalization
{
    /// <summary>
    /// Mean over every labelled token of the micro-batch (HF's default, <see cref="TokenLoss.Mean"/>): long responses
    /// weigh more. The paper form of TOSS's Eq. 4 (a global token mean) is this with the discarded tokens left out.
    /// </summary>
    TokenMean,

    /// <summary>
    /// Mean over samples of each sample's mean over its labelled tokens (<see cref="TokenLoss.SampleMean"/>); a sample
    /// with no labelled token contributes nothing. What TOSS's released code computes (micro-batch 1, averaged over the
    /// accumulation window), and so the normalisation of its reference models and of its selective fine-tuning.
    /// </summary>
    SampleMean,
}
