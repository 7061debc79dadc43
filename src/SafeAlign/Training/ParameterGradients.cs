using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SafeAlign.Training;

/// <summary>
/// In-place edits of the <c>.grad</c> of a parameter list, for steps that combine several backward passes into the
/// gradient the trainer's optimizer applies (Booster). TorchSharp exposes <c>.grad</c> read-only, so gradients are
/// edited in place and first made to exist (<see cref="Materialize"/>).
/// </summary>
public static class ParameterGradients
{
    /// <summary>Gives every parameter without a gradient a zero one (one backward through a zero-valued sum).</summary>
    public static void Materialize(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var scope = NewDisposeScope();
        var missing = parameters.Where(p => p.grad is null).ToList();
        if (missing.Count == 0)
            return;
        stack(missing.Select(p => p.sum().to(float32) * 0).ToArray()).sum().backward();
    }

    /// <summary>Sets every existing gradient to zero in place.</summary>
    public static void Zero(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var scope = NewDisposeScope();
        foreach (var p in parameters)
            p.grad?.zero_();
    }

    /// <summary>gradᵢ ← gradᵢ + Σ_k scale_k · terms_k[i] in place; call <see cref="Materialize"/> first.</summary>
    /// <exception cref="InvalidOperationException">A parameter has no gradient.</exception>
    public static void Add(IReadOnlyList<Parameter> parameters, params (double Scale, ParameterSnapshot Terms)[] terms)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(terms);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Count; i++)
        {
            var grad = parameters[i].grad ?? throw new InvalidOperationException($"Parameter {i} has no gradient; call ParameterGradients.Materialize first.");
            foreach (var (scale, snapshot) in terms)
                grad.add_(snapshot.Tensors[i].to(grad.dtype), alpha: scale);
        }
    }
}
