using SafeAlign.Models;
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
        return Reduce(PerToken(logits, labels), labels, TokenLossNormalization.TokenMean).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mean over samples of each sample's mean over its scored tokens; a sample with no scored token
    /// contributes nothing (TOSS's released loss normalisation). 0 when no sample has a scored token.
    /// </summary>
    public static Tensor SampleMean(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return Reduce(PerToken(logits, labels), labels, TokenLossNormalization.SampleMean).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Each sample's mean over its scored tokens (B), fp32; 0 for a sample with no scored token. The per-sample loss
    /// ℓ_i that data selection weighs (Pharmacist, SEAL's <c>sequence_reduce="mean"</c>).
    /// </summary>
    public static Tensor PerSample(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return SampleMeans(PerToken(logits, labels), labels).PerSample.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="PerSample(Tensor, Tensor)"/> of <paramref name="batch"/> under <paramref name="model"/> (B), with the LM head
    /// applied only to the rows that predict a labelled token (<see cref="PerTokenFromHidden"/>). The whole sequence of
    /// every row is computed (no shared prefix), so per-sample gradient captures see each row's own activations.
    /// </summary>
    /// <param name="model">The model, in the mode the caller wants.</param>
    /// <param name="batch">The batch; its labels say which tokens are scored.</param>
    public static Tensor PerSample(CausalLM model, TrainingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = NewDisposeScope();
        var nll = PerTokenFromModel(model, batch, sharePrefix: false);             // (B, T)
        return SampleMeans(nll, batch.Labels).PerSample.MoveToOuterDisposeScope();
    }

    /// <summary>The loss <paramref name="normalization"/> names: <see cref="Mean"/> or <see cref="SampleMean"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An unknown normalisation.</exception>
    public static Tensor Normalized(Tensor logits, Tensor labels, TokenLossNormalization normalization)
    {
        CheckNormalization(normalization);
        using var scope = NewDisposeScope();
        return Reduce(PerToken(logits, labels), labels, normalization).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The loss of <paramref name="batch"/> under <paramref name="model"/>, reduced as <paramref name="normalization"/>
    /// says: <c>Normalized(model.Forward(ids, mask), labels, normalization)</c>, with the LM head applied only to the rows
    /// that predict a labelled token (<see cref="PerTokenFromHidden"/>), and a <see cref="TrainingBatch.SharedPrefixLength"/>
    /// computed once. A world example's response is a fifth of its tokens, and the prompt's logits and their
    /// cross-entropy were an eighth of a training step. The training loss of every supervised step.
    /// </summary>
    /// <param name="model">The model, in the mode the caller wants (train or eval).</param>
    /// <param name="batch">The batch; its labels say which tokens are scored.</param>
    /// <param name="normalization">Token mean (default) or sample mean.</param>
    public static Tensor Normalized(CausalLM model, TrainingBatch batch, TokenLossNormalization normalization = TokenLossNormalization.TokenMean)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        CheckNormalization(normalization);
        using var scope = NewDisposeScope();
        var nll = PerTokenFromModel(model, batch, sharePrefix: true);              // (B, T)
        return Reduce(nll, batch.Labels, normalization).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// As <see cref="PerToken"/> (B, T) fp32, but from the final hidden states: only the rows that predict a scored token
    /// go through <paramref name="head"/>, <paramref name="chunkRows"/> at a time, so neither the prompt's logits nor a
    /// (B, T, vocab) tensor is ever built (a 128k vocabulary makes that tensor the largest of the forward). For scoring
    /// and for the training loss (<see cref="Normalized(CausalLM, TrainingBatch, TokenLossNormalization)"/>).
    /// </summary>
    /// <param name="hidden">(B, T, H) final-norm hidden states (<c>CausalLM.HiddenStates</c>).</param>
    /// <param name="labels">(B, T) int64, <see cref="IgnoreIndex"/> where not scored.</param>
    /// <param name="head">Projects (n, H) to logits (n, vocab) (<c>CausalLM.Logits</c>).</param>
    /// <param name="chunkRows">Rows projected at once (default 4,096).</param>
    public static Tensor PerTokenFromHidden(Tensor hidden, Tensor labels, Func<Tensor, Tensor> head, int chunkRows = 4096)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        if (hidden.dim() != 3 || labels.dim() != 2 || hidden.shape[0] != labels.shape[0] || hidden.shape[1] != labels.shape[1])
            throw new ArgumentException($"hidden [{string.Join(", ", hidden.shape)}] and labels [{string.Join(", ", labels.shape)}] must be (B, T, H) and (B, T).");
        using var scope = NewDisposeScope();
        long b = hidden.shape[0], t = hidden.shape[1];
        var flatLabels = labels.to(hidden.device).reshape(-1);                              // (B·T)
        var target = Scored(labels).to(hidden.device).reshape(-1).nonzero().squeeze(1);    // (N) flat index of each scored token
        var rows = hidden.reshape(b * t, -1).index_select(0, target - 1);                   // (N, H) the position before each (t ≥ 1)
        var targets = flatLabels.index_select(0, target);                                   // (N)
        var nll = zeros(b * t, dtype: float32, device: hidden.device);                      // (B·T)
        for (long start = 0; start < target.shape[0]; start += chunkRows)
        {
            long n = Math.Min(chunkRows, target.shape[0] - start);
            using var logits = head(rows.narrow(0, start, n)).to(float32);                 // (n, V)
            using var chunk = nn.functional.cross_entropy(logits, targets.narrow(0, start, n), reduction: nn.Reduction.None);
            nll.index_copy_(0, target.narrow(0, start, n), chunk);
        }
        // With no scored token nothing reaches the head; the empty selection still ties the result to the hidden states,
        // so a loss on it back-propagates zeros (as the full-logits loss does) instead of leaving the graph.
        if (target.shape[0] == 0 && rows.requires_grad)
            nll = nll + rows.sum();
        return nll.view(b, t).MoveToOuterDisposeScope();
    }

    // (B, T) per-token losses of the batch under the model through the labelled-row LM head; the batch's shared prefix
    // is computed once when asked (not for per-sample gradient captures, which need each row's own activations).
    private static Tensor PerTokenFromModel(CausalLM model, TrainingBatch batch, bool sharePrefix)
    {
        var hidden = sharePrefix && batch.SharedPrefixLength > 0                    // (B, T, H)
            ? model.HiddenStatesSharingPrefix(batch.InputIds, batch.AttentionMask, batch.SharedPrefixLength)
            : model.HiddenStates(batch.InputIds, batch.AttentionMask);
        return PerTokenFromHidden(hidden, batch.Labels, model.Logits);
    }

    // (B, T) per-token losses, zero where not scored, to the scalar the normalisation names.
    private static Tensor Reduce(Tensor nll, Tensor labels, TokenLossNormalization normalization)
    {
        var scored = Scored(labels).to(nll.device);
        if (normalization == TokenLossNormalization.TokenMean)
            return nll.sum() / scored.sum().to(float32).clamp_min(1);
        var (perSample, counts) = SampleMeans(nll, labels);
        return perSample.sum() / counts.gt(0).to(float32).sum().clamp_min(1);   // rows with nothing scored add 0 and do not count
    }

    // Each row's mean over its scored tokens (B), 0 where none is scored, and the scored-token counts (B).
    private static (Tensor PerSample, Tensor Counts) SampleMeans(Tensor nll, Tensor labels)
    {
        var counts = Scored(labels).to(nll.device).sum(1).to(float32);
        return (nll.sum(1) / counts.clamp_min(1), counts);
    }

    private static void CheckNormalization(TokenLossNormalization normalization)
    {
        if (!Enum.IsDefined(normalization))
            throw new ArgumentOutOfRangeException(nameof(normalization), normalization, "Unknown loss normalisation; expected TokenMean or SampleMean.");
    }

    private static void Check(Tensor logits, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.dim() != 3 || labels.dim() != 2 || logits.shape[0] != labels.shape[0] || logits.shape[1] != labels.shape[1])
            throw new ArgumentException($"logits [{string.Join(", ", logits.shape)}] and labels [{string.Join(", ", labels.shape)}] must be (B, T, V) and (B, T).");
    }
}
