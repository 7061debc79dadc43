namespace SafeAlign.Pruning.Antidote;

/// <summary>Which weights <see cref="AntidotePruner"/> prunes.</summary>
public enum PruningScope
{
    /// <summary>
    /// The attached (user) LoRA adapter's factors <c>lora_A</c> (r × in) and <c>lora_B</c> (out × r) of the targeted
    /// projections; base weights, and any adapter merged into them, stay untouched (the reference's default).
    /// </summary>
    Adapter,

    /// <summary>
    /// The dense weights of the targeted projections of a fully fine-tuned model (the reference's
    /// <c>full_finetuning=True</c>); requires that no adapter is attached.
    /// </summary>
    Dense,
}
