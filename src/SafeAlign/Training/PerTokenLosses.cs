using SafeAlign.Models;
using SafeAlign.Native;
using SafeAlign.Tokenization;
using static TorchSharp.torch;

namespace SafeAlign.Training;

/// <summary>
/// The per-token negative log-likelihood of every labelled token of a data set under a model, streamed through
/// batched forward passes without gradients: only the losses come back to the host, never the logits (TOSS's
/// reference-model passes, and any method that ranks tokens by how a model predicts them).
/// </summary>
public static class PerTokenLosses
{
    /// <summary>
    /// Entry [i][t] is −log p(labels[t] | ids &lt; t) for example i under <paramref name="model"/> as it is (any attached
    /// adapter applied), NaN where example i's position t is not scored (its label is −100, or t = 0), exactly as
    /// <see cref="TokenLoss.PerToken"/> defines it. Examples are batched by length (right padding), so a result does not
    /// depend on which examples share a batch beyond floating-point rounding. The model is put in eval mode.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="examples">The examples; each array of the result is as long as its example.</param>
    /// <param name="batchSize">Examples per forward pass.</param>
    /// <param name="padTokenId">Id used for padding (never scored).</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">An example is null.</exception>
    public static float[][] Compute(CausalLM model, IReadOnlyList<TokenizedExample> examples, int batchSize, int padTokenId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        for (int i = 0; i < examples.Count; i++)
        {
            if (examples[i] is null)
                throw new ArgumentException($"Example {i} is null.", nameof(examples));
        }
        // On a compute thread, so that the forward passes leave no OpenMP team on the caller's thread.
        return ComputeThread.Run(() => ComputeHere(model, examples, batchSize, padTokenId, cancellationToken));
    }

    private static float[][] ComputeHere(CausalLM model, IReadOnlyList<TokenizedExample> examples, int batchSize, int padTokenId, CancellationToken cancellationToken)
    {
        model.eval();
        var result = new float[examples.Count][];
        // Longest first, so each batch pads little and the first batch shows the peak memory.
        int[] order = Enumerable.Range(0, examples.Count).OrderByDescending(i => examples[i].Length).ThenBy(i => i).ToArray();
        using var inference = inference_mode();
        for (int start = 0; start < order.Length; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int[] members = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            using var scope = NewDisposeScope();
            var batch = TrainingBatch.Collate(members.Select(i => examples[i]).ToList(), padTokenId, model.Device);
            var hidden = model.HiddenStates(batch.InputIds, batch.AttentionMask);                       // (B, T, H)
            var nll = TokenLoss.PerTokenFromHidden(hidden, batch.Labels, model.Logits);                  // (B, T)
            var scored = TokenLoss.Scored(batch.Labels).to(nll.device);                                  // (B, T)
            float[] host = nll.masked_fill(scored.logical_not(), float.NaN).cpu().data<float>().ToArray(); // one host copy per batch
            int width = (int)nll.shape[1];
            for (int b = 0; b < members.Length; b++)
                result[members[b]] = host.AsSpan(b * width, examples[members[b]].Length).ToArray();
        }
        return result;
    }
}
