using SafeAlign.Tokenization;
using static TorchSharp.torch;

namespace SafeAlign.Training;

/// <summary>
/// The one implementation of the causal-LM token loss (HF's shift and -100 masking): token t is scored by
/// the logits at t − 1. Training, TOSS scoring, Pharmacist and the evaluators all reuse it.
/// </summary>
public static class TokenLoss
{
    /// <summary>Label value that excludes a position from the loss (prompt tokens, padding).</summary>
    public const long IgnoreIndex = TokenizedExample.IgnoreIndex;

    /// <summary>
    /// Per-token negative log-likelihood (B, T), fp32: entry [b, t] is −log p(labels[b, t] | tokens &lt; t).
    /// Zero at t = 0 and wherever the label is <see cref="IgnoreIndex"/>.
    /// </summary>
    /// <param name="logits">(B, T, vocab) in any float dtype; upcast to fp32.</param>
    /// <param name="labels">(B, T) int64, <see cref="IgnoreIndex"/> where not scored.</param>
    public static Tensor PerToken(Tensor logits, Tensor labels)
    {
        Check(logits, labels);
        using var scope = NewDisposeScope();
        long b = logits.shape[0], t = logits.shape[1], v = logits.shape[2];
        if (t < 2)
            return zeros(b, t, dtype: float32, device: logits.device).MoveToOuterDisposeScope();
        var shiftedLogits = logits.narrow(1, 0, t - 1).to(float32).reshape(-1, v); // (B·(T−1), V)
        var shiftedLabels = labels.narrow(1, 1, t - 1).to(logits.device).reshape(-1);    // (B·(T−1))
        var nll = nn.functional.cross_entropy(shiftedLogits, shiftedLabels, ignore_index: IgnoreIndex, reduction: nn.Reduction.None)
            .view(b, t - 1);
        return nn.functional.pad(nll, [1, 0]).MoveToOuterDisposeScope(); // (B, T)
    }

    /// <summary>Which positions <see cref="PerToken"/> scores (B, T), bool: labels[:, t] ≠ −100 for t ≥ 1.</summary>
    public static Tensor Scored(Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        using var scope = NewDisposeScope();
        var scored = labels.ne(IgnoreIndex);
        return scored.index_fill(1, tensor(new long[] { 0 }, device: labels.device), false).MoveToOuterDisposeScope();
    }

    /// <summary>Mean over every scored token of the batch (the usual training loss); 0 when none is scored.</summary>
    public static Tensor Mean(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var nll = PerToken(logits, labels);
        var count = Scored(labels).sum().to(float32).to(nll.device).clamp_min(1);
        return (nll.sum() / count).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mean over samples of each sample's mean over its scored tokens; a sample with no scored token
    /// contributes nothing (TOSS's released loss normalisation). 0 when no sample has a scored token.
    /// </summary>
    public static Tensor SampleMean(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var perSample = PerSample(logits, labels);                          // (B)
        var present = Scored(labels).any(1).to(float32).to(perSample.device);
        return ((perSample * present).sum() / present.sum().clamp_min(1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Each sample's mean over its scored tokens (B), fp32; 0 for a sample with no scored token. The per-sample loss
    /// ℓ_i that data selection weighs (Pharmacist, SEAL's <c>sequence_reduce="mean"</c>).
    /// </summary>
    public static Tensor PerSample(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var nll = PerToken(logits, labels);                                 // (B, T)
        var counts = Scored(labels).sum(1).to(float32).to(nll.device);      // (B)
        return (nll.sum(1) / counts.clamp_min(1)).MoveToOuterDisposeScope();
    }

    private static void Check(Tensor logits, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.dim() != 3 || labels.dim() != 2 || logits.shape[0] != labels.shape[0] || logits.shape[1] != labels.shape[1])
            throw new ArgumentException($"logits [{string.Join(", ", logits.shape)}] and labels [{string.Join(", ", labels.shape)}] must be (B, T, V) and (B, T).");
    }
}
