namespace SafeAlign.Defenses.TVaccine;

/// <summary>
/// Settings of <see cref="TVaccineDefense"/>. Defaults are the paper's and reference code's (Liu et al., arXiv
/// 2410.09760; Lslland/T-Vaccine <c>script/alignment/T-Vaccine.sh</c>), with γ scaled to the model's depth.
/// </summary>
public sealed class TVaccineOptions : AlignmentDefenseOptions
{
    /// <summary>Perturbation budget ρ: the joint L2 norm of the shifts added to the sampled layers' attention outputs (default 3).</summary>
    public double Rho { get; set; } = 3;

    /// <summary>K: optimizer steps between layer probes; the first probe runs at step 0 (default 200, <c>--probability_steps</c>).</summary>
    public int ProbeInterval { get; set; } = 200;

    /// <summary>Harmful examples (the first ones of <see cref="SafeAlign.Data.AlignmentData.Harmful"/>) the probes cycle through, one per probe (default 200, <c>--prompt_data_size</c>).</summary>
    public int ProbePoolSize { get; set; } = 200;

    /// <summary>J: optimizer steps between draws of the active layer set; the first draw is at step 0 (default 20, <c>--lisa_interval_steps</c>).</summary>
    public int ResampleInterval { get; set; } = 20;

    /// <summary>
    /// γ: layers perturbed and trained at a time. Null (default) scales the reference's 8 of 32 to the model:
    /// ⌈L/4⌉, at least 1.
    /// </summary>
    public int? ActiveLayers { get; set; }

    /// <summary>
    /// Whether every layer's MLP adapter trains at every step (default true, as the reference code, which freezes
    /// only attention modules). False freezes the MLP adapters of non-sampled layers too, as the paper describes
    /// ("the rest are frozen").
    /// </summary>
    public bool TrainAllMlpAdapters { get; set; } = true;

    /// <summary>
    /// Whether the non-sampled layers run under activation recomputation in both passes, as the reference's gradient
    /// checkpointing of the frozen layers: they keep only their input and recompute their activations in the backward,
    /// the paper's memory saving, for one extra forward of those layers. The gradients are the same either way (bit for
    /// bit on the CPU); see <see cref="SafeAlign.Models.ActivationRecomputation"/>. Null (default): on for a model on an
    /// accelerator, off on the CPU, where glibc's default allocator keeps the freed activations resident and the saving
    /// does not reach the process's memory (docs/defenses.md has the measurement).
    /// </summary>
    public bool? RecomputeInactiveLayers { get; set; }

    /// <summary>γ for a model with <paramref name="layers"/> decoder layers.</summary>
    /// <exception cref="ArgumentException"><see cref="ActiveLayers"/> exceeds the model's depth.</exception>
    public int ActiveLayerCount(int layers)
    {
        int count = ActiveLayers ?? Math.Max(1, (layers + 3) / 4);
        if (count > layers)
            throw new ArgumentException($"TVaccineOptions.ActiveLayers is {count}; the model has only {layers} layers.");
        return count;
    }

    /// <inheritdoc />
    public override void Validate()
    {
        if (!double.IsFinite(Rho) || Rho < 0)
            throw new ArgumentException($"TVaccineOptions.Rho is {Rho}; expected a finite value ≥ 0.");
        if (ProbeInterval < 1)
            throw new ArgumentException($"TVaccineOptions.ProbeInterval is {ProbeInterval}; expected at least 1.");
        if (ProbePoolSize < 1)
            throw new ArgumentException($"TVaccineOptions.ProbePoolSize is {ProbePoolSize}; expected at least 1.");
        if (ResampleInterval < 1)
            throw new ArgumentException($"TVaccineOptions.ResampleInterval is {ResampleInterval}; expected at least 1.");
        if (ActiveLayers < 1)
            throw new ArgumentException($"TVaccineOptions.ActiveLayers is {ActiveLayers}; expected at least 1 (or null for ⌈L/4⌉).");
        base.Validate();
    }
}
