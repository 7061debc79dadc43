using SafeAlign.Models;
using SafeAlign.Models.Lora;

namespace SafeAlign.Selection;

/// <summary>
/// A throw-away LoRA adapter a selector trains or probes on the request's model: attached on creation, detached on
/// disposal, after which every parameter's <c>requires_grad</c> and the train/eval mode are as they were, and the base
/// weights (never trained) are bit-identical: selectors leave the model exactly as they found it.
/// </summary>
internal sealed class ScratchAdapter : IDisposable
{
    private readonly CausalLM _model;
    private readonly Dictionary<string, bool> _requiresGrad;
    private readonly bool _training;
    private bool _disposed;

    private ScratchAdapter(CausalLM model)
    {
        _model = model;
        _requiresGrad = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.requires_grad);
        _training = model.training;
    }

    /// <summary>Attaches a fresh adapter described by <paramref name="config"/>.</summary>
    /// <exception cref="InvalidOperationException">The model already carries an adapter.</exception>
    public static ScratchAdapter Attach(CausalLM model, LoraConfig config, string selector)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Lora is not null)
            throw new InvalidOperationException($"The {selector} selector trains a scratch LoRA adapter, but the model already carries one; merge or detach it first (selection runs on the base model).");
        var adapter = new ScratchAdapter(model);
        model.AttachLora(config);
        return adapter;
    }

    /// <summary>Detaches the adapter and restores <c>requires_grad</c> flags and the train/eval mode.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _model.DetachLora();
        foreach (var (name, parameter) in _model.named_parameters())
        {
            if (_requiresGrad.TryGetValue(name, out bool flag))
                parameter.requires_grad = flag;
        }
        _model.train(_training);
    }
}
