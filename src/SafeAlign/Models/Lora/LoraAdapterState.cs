using static TorchSharp.torch;

namespace SafeAlign.Models.Lora;

/// <summary>
/// A detached copy of a LoRA adapter (its config and PEFT-named factors), owned by this object until disposed, so
/// that several adapters can take turns on one base model: capture one, detach it, attach another, attach the first
/// again bit-exactly (TOSS's two reference models share the aligned weights this way).
/// </summary>
public sealed class LoraAdapterState : IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors;

    private LoraAdapterState(LoraConfig config, Dictionary<string, Tensor> tensors) => (Config, _tensors) = (config, tensors);

    /// <summary>The adapter's shape.</summary>
    public LoraConfig Config { get; }

    /// <summary>The factors under their PEFT names (see <see cref="PeftAdapter.StateDict"/>).</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    /// <summary>Copies the adapter attached to <paramref name="model"/>; the model keeps it attached.</summary>
    /// <exception cref="InvalidOperationException">No adapter is attached.</exception>
    public static LoraAdapterState Capture(CausalLM model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var live = PeftAdapter.StateDict(model);
        var source = model.Lora!;
        var config = new LoraConfig { Rank = source.Rank, Alpha = source.Alpha, Dropout = source.Dropout, TargetModules = [.. source.TargetModules], Seed = source.Seed };
        using var noGrad = no_grad();
        return new LoraAdapterState(config, live.ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope(), StringComparer.Ordinal));
    }

    /// <summary>Attaches this adapter to <paramref name="model"/> (which must have none) with exactly these factors.</summary>
    /// <exception cref="InvalidOperationException">The model already has an adapter.</exception>
    /// <exception cref="ArgumentException">The model's projections do not match the captured ones.</exception>
    public void AttachTo(CausalLM model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.AttachLora(Config);
        try
        {
            var live = PeftAdapter.StateDict(model);
            if (live.Count != _tensors.Count || live.Keys.Any(k => !_tensors.ContainsKey(k)))
                throw new ArgumentException($"The model's adapter has {live.Count} tensors ({string.Join(", ", live.Keys.Take(3))}, …); this state holds {_tensors.Count} ({string.Join(", ", _tensors.Keys.Take(3))}, …): it was captured from another architecture.", nameof(model));
            using var noGrad = no_grad();
            foreach (var (name, parameter) in live)
            {
                if (!parameter.shape.SequenceEqual(_tensors[name].shape))
                    throw new ArgumentException($"Adapter tensor '{name}' is [{string.Join(", ", _tensors[name].shape)}]; the model expects [{string.Join(", ", parameter.shape)}].", nameof(model));
                parameter.copy_(_tensors[name]);
            }
        }
        catch
        {
            model.DetachLora();
            throw;
        }
    }

    /// <summary>Disposes the copies.</summary>
    public void Dispose()
    {
        foreach (var t in _tensors.Values)
            t.Dispose();
    }
}
