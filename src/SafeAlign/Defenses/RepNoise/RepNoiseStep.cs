using SafeAlign.Models;
using SafeAlign.Models.Taps;
using SafeAlign.Training;
using static TorchSharp.torch;

namespace SafeAlign.Defenses.RepNoise;

/// <summary>The RepNoise loss of one paired batch and its three terms (scalars, fp32).</summary>
/// <param name="Total">L = <paramref name="Harmless"/> + β·<paramref name="Noise"/> − α·log(<paramref name="Ascent"/>).</param>
/// <param name="Harmless">Masked CE of the refusals.</param>
/// <param name="Noise">Mean over layers of the MMD between masked MLP outputs and masked Gaussian noise.</param>
/// <param name="Ascent">A = (CE_final + Σᵢ CE_lens(hᵢ)) / (number of hidden states) + 1 on the harmful answers.</param>
internal sealed record RepNoiseLoss(Tensor Total, Tensor Harmless, Tensor Noise, Tensor Ascent);

/// <summary>
/// One RepNoise step (Rosati et al., arXiv 2405.14577; official <c>rep_noise_loss</c>). The batch holds the harmless
/// sequences (prompt + refusal) and, as <see cref="TrainingBatch.Companion"/>, the harmful ones (same prompt + harmful
/// answer) padded to the same width. M = positions where their token ids differ. On the harmful pass the MLP outputs
/// a_l are captured; noise = mean_l MMD(flat(a_l·M), flat(randn_like(a_l)·M)) (<see cref="Mmd"/>); the logit lens
/// scores every hidden state hᵢ (embedding output, each layer's output, and the final-norm output, as HF's
/// <c>hidden_states</c>) by CE(lm_head(norm(hᵢ))) on M, layer by layer so only one layer's logits are alive at a time.
/// All CE terms score token t when M[t] holds and t is a labelled (response) token of that sequence.
/// Choices where the reference differs or is vague: docs/defenses.md#repnoise.
/// </summary>
public sealed class RepNoiseStep : ITrainingStep
{
    private readonly double _alpha, _beta;

    /// <summary>Creates the step.</summary>
    /// <param name="alpha">α, weight of −log(A).</param>
    /// <param name="beta">β, weight of the noise MMD.</param>
    /// <exception cref="ArgumentOutOfRangeException">A weight is negative or not finite.</exception>
    public RepNoiseStep(double alpha, double beta)
    {
        if (!(alpha >= 0 && double.IsFinite(alpha)))
            throw new ArgumentOutOfRangeException(nameof(alpha), $"alpha is {alpha}; expected a finite number ≥ 0.");
        if (!(beta >= 0 && double.IsFinite(beta)))
            throw new ArgumentOutOfRangeException(nameof(beta), $"beta is {beta}; expected a finite number ≥ 0.");
        (_alpha, _beta) = (alpha, beta);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The batch has no harmful companion (build it from <c>PairedExample</c>s).</exception>
    public Tensor Step(CausalLM model, TrainingBatch batch, StepContext context)
    {
        var loss = Loss(model, batch);
        (loss.Total * context.LossScale).backward();
        return loss.Total.detach();
    }

    /// <summary>The loss of one paired batch with its terms; draws the noise from the torch RNG.</summary>
    internal RepNoiseLoss Loss(CausalLM model, TrainingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        var harmless = batch;
        var harmful = batch.Companion ?? throw new ArgumentException("RepNoise needs paired batches: the harmless batch must carry the harmful one as Companion (collate PairedExamples).", nameof(batch));

        using var scope = NewDisposeScope();
        var differs = DifferingPositions(batch);                                                // (B, T) M
        var harmfulLabels = harmful.Labels.masked_fill(differs.logical_not(), TokenLoss.IgnoreIndex);
        var harmlessLabels = harmless.Labels.masked_fill(differs.logical_not(), TokenLoss.IgnoreIndex);

        Tensor noise, ascent;
        using (var mlp = model.Taps.Capture(TapPoint.MlpOutput))
        using (var layers = model.Taps.Capture(TapPoint.LayerOutput))
        using (var embedding = model.Taps.Capture(TapPoint.EmbeddingOutput))
        {
            var final = model.HiddenStates(harmful.InputIds, harmful.AttentionMask);           // (B, T, hidden), final norm applied
            mlp.Stop();
            layers.Stop();
            embedding.Stop();
            noise = Noise(mlp, differs);

            // HF's hidden_states: the embeddings, the outputs of layers 0..L−2, and the final-norm output of the last layer.
            int count = model.Config.NumHiddenLayers;
            var hidden = new List<Tensor> { embedding[0] };
            hidden.AddRange(Enumerable.Range(0, count - 1).Select(l => layers[l]));
            hidden.Add(final);
            var sum = TokenLoss.Mean(model.Logits(final), harmfulLabels);                      // CE_final
            foreach (var h in hidden)
                sum = sum + LensLoss(model, h, harmfulLabels);                                  // the norm is applied again to the last, as the reference
            ascent = sum / hidden.Count + 1;
        }
        var harmlessLoss = TokenLoss.Mean(model.Forward(harmless.InputIds, harmless.AttentionMask), harmlessLabels);
        var total = harmlessLoss + _beta * noise - _alpha * ascent.log();
        return new RepNoiseLoss(total.MoveToOuterDisposeScope(), harmlessLoss.MoveToOuterDisposeScope(), noise.MoveToOuterDisposeScope(), ascent.MoveToOuterDisposeScope());
    }

    /// <summary>M (B, T), bool: positions where the harmful companion's token id differs from the harmless one's.</summary>
    internal static Tensor DifferingPositions(TrainingBatch batch)
    {
        var harmful = batch.Companion ?? throw new ArgumentException("RepNoise needs paired batches: the harmless batch must carry the harmful one as Companion (collate PairedExamples).", nameof(batch));
        return harmful.InputIds.ne(batch.InputIds);
    }

    // Per layer, the MLP output and standard-normal noise of its shape, both zeroed outside M, flattened per sample.
    private static Tensor Noise(TapCapture mlp, Tensor differs)
    {
        var layers = mlp.Layers.ToList();
        Tensor sum = zeros(1, dtype: float32, device: differs.device).squeeze();
        foreach (int l in layers)
        {
            var a = mlp[l];                                                                     // (B, T, hidden)
            var mask = differs.unsqueeze(-1).to(a.dtype);                                       // (B, T, 1)
            var x = (a * mask).reshape(a.shape[0], -1);                                          // (B, T·hidden)
            var y = (randn_like(a) * mask).reshape(a.shape[0], -1);                              // (B, T·hidden)
            sum = sum + Mmd.GaussianKernel(x, y);
        }
        return sum / Math.Max(1, layers.Count);
    }

    // One layer of the logit lens; its (B, T, vocab) logits leave with the scope (autograd keeps what backward needs).
    private static Tensor LensLoss(CausalLM model, Tensor hidden, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return TokenLoss.Mean(model.Logits(model.FinalNorm(hidden)), labels).MoveToOuterDisposeScope();
    }
}
