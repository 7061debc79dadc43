namespace SafeAlign.Selection.Pharmacist;

/// <summary>
/// How Pharmacist computes the per-sample gradient alignments ⟨∇U(θ'), ∇ℓ_i(θ)⟩ of a batch over the LoRA parameters (its
/// hot path). All four give the same numbers up to rounding (tested); docs/selection.md has the measured speeds.
/// </summary>
public enum GradientAlignmentStrategy
{
    /// <summary>
    /// From the batch pass the step makes anyway (factor inputs and output gradients, <see cref="Training.LoraGradientCapture.Dot"/>),
    /// contracted with ∇U without forming per-sample gradients. No extra forward or backward pass. The default (fastest measured).
    /// </summary>
    Ghost,

    /// <summary>From the same captured pass, forming each sample's LoRA gradient (B, out, in) first, then contracting.</summary>
    Materialized,

    /// <summary>One extra forward, backward and double-backward: the vector as a Jacobian-vector product (<see cref="Training.SampleGradientDots.DoubleBackward"/>).</summary>
    DoubleBackward,

    /// <summary>One extra forward and backward per sample (<see cref="Training.SampleGradientDots.Naive"/>): the oracle.</summary>
    Naive,
}
