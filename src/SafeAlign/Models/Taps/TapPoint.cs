namespace SafeAlign.Models.Taps;

/// <summary>Where in a decoder layer a tap sees a tensor.</summary>
public enum TapPoint
{
    /// <summary>Output of the attention sub-block (after o_proj) before the residual add: e_l in Vaccine's notation. (B, T, hidden)</summary>
    AttentionOutput,

    /// <summary>Output of the MLP sub-block before the residual add. (B, T, hidden)</summary>
    MlpOutput,

    /// <summary>The residual stream leaving the layer. (B, T, hidden)</summary>
    LayerOutput,

    /// <summary>The input of one linear projection (<see cref="TapSite.Module"/> names it). (B, T, in_features)</summary>
    LinearInput,

    /// <summary>
    /// The token embeddings entering layer 0 (HF's <c>hidden_states[0]</c>; RepNoise's logit lens starts here). The site's
    /// layer is 0. (B, T, hidden)
    /// </summary>
    EmbeddingOutput,

    /// <summary>
    /// The output of a projection's LoRA factor <c>lora_A</c>, which is the input of <c>lora_B</c> (<see cref="TapSite.Module"/>
    /// names the projection), in fp32 and unscaled (PEFT applies alpha/r after lora_B).
    /// Seen only while an unmerged, enabled adapter runs. (B, T, r)
    /// </summary>
    LoraHidden,
}

/// <summary>One place a tap can see: layer index, point, and for the per-projection points the projection name.</summary>
/// <param name="Layer">Decoder layer index.</param>
/// <param name="Point">Which tensor.</param>
/// <param name="Module">Projection path inside the layer, e.g. "self_attn.q_proj", for <see cref="TapPoint.LinearInput"/> and
/// <see cref="TapPoint.LoraHidden"/>; empty for the other points.</param>
public readonly record struct TapSite(int Layer, TapPoint Point, string Module = "");
