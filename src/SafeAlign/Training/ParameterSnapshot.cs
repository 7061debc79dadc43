using SafeAlign.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafeAlign.Training;

/// <summary>
/// Detached copies of the weights or gradients of a list of parameters, owned by this object (outside every dispose
/// scope) until it is disposed: Booster's saved weights and gradients, Lisa's consensus weights w̃. Entry i belongs to
/// parameter i of the list it was taken from; the other methods take that same list.
/// </summary>
public sealed class ParameterSnapshot : IDisposable
{
    private readonly Tensor[] _copies;

    private ParameterSnapshot(Tensor[] copies) => _copies = copies;

    /// <summary>The copies, in parameter order.</summary>
    public IReadOnlyList<Tensor> Tensors => _copies;

    /// <summary>Copies the parameters' current values.</summary>
    public static ParameterSnapshot OfWeights(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        // On a compute thread: the copies' parallel kernels would otherwise leave an OpenMP team on the caller's thread.
        return ComputeThread.Run(() =>
        {
            using var noGrad = no_grad();
            return new ParameterSnapshot(parameters.Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray());
        });
    }

    /// <summary>Copies the parameters' gradients; zeros for a parameter that has none yet.</summary>
    public static ParameterSnapshot OfGradients(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var noGrad = no_grad();
        return new ParameterSnapshot(parameters.Select(p =>
        {
            using var grad = p.grad;
            return (grad is null ? zeros_like(p) : grad.detach().clone()).DetachFromDisposeScope();
        }).ToArray());
    }

    /// <summary>Σᵢ ‖copyᵢ‖², a scalar in fp32 (the squared global L2 norm, as gradient clipping measures it).</summary>
    public Tensor SquaredNorm()
    {
        using var scope = NewDisposeScope();
        return stack(_copies.Select(c => c.to(float32).square().sum()).ToArray()).sum().MoveToOuterDisposeScope();
    }

    /// <summary>Σᵢ ‖pᵢ − copyᵢ‖², a scalar in fp32, differentiable in the parameters (Lisa's proximal term without ρ/2).</summary>
    public Tensor SquaredDistance(IReadOnlyList<Parameter> parameters)
    {
        Check(parameters);
        using var scope = NewDisposeScope();
        return stack(parameters.Select((p, i) => (p - _copies[i]).to(float32).square().sum()).ToArray()).sum().MoveToOuterDisposeScope();
    }

    /// <summary>Writes the copies back into the parameters (bit-exact; no autograd record).</summary>
    public void RestoreInto(IReadOnlyList<Parameter> parameters)
    {
        Check(parameters);
        ComputeThread.Run(() => // as in OfWeights
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            for (int i = 0; i < _copies.Length; i++)
                parameters[i].copy_(_copies[i]);
        });
    }

    /// <summary>pᵢ ← pᵢ + scale · copyᵢ in place, without an autograd record (a step along the snapshot direction).</summary>
    /// <param name="parameters">The parameters the snapshot was taken from.</param>
    /// <param name="scale">A scalar tensor (kept on the device, so no host sync).</param>
    public void AddScaledInto(IReadOnlyList<Parameter> parameters, Tensor scale)
    {
        Check(parameters);
        ArgumentNullException.ThrowIfNull(scale);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < _copies.Length; i++)
            parameters[i].add_((_copies[i] * scale).to(parameters[i].dtype));
    }

    /// <summary>Disposes the copies.</summary>
    public void Dispose()
    {
        foreach (var c in _copies)
            c.Dispose();
    }

    private void Check(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count != _copies.Length)
            throw new ArgumentException($"The snapshot holds {_copies.Length} tensors but {parameters.Count} parameters were given; pass the list it was taken from.", nameof(parameters));
    }
}
