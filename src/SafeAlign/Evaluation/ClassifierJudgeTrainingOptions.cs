namespace SafeAlign.Evaluation;

/// <summary>
/// Shape and recipe of a classifier judge trained by <see cref="ClassifierJudgeTrainer"/>. The defaults make a tiny
/// model (2 layers, d = 64) that learns the embedded world's compliance/refusal distinction in seconds on a CPU.
/// </summary>
public sealed class ClassifierJudgeTrainingOptions
{
    /// <summary>Decoder layers of a fresh trunk (default 2; ignored when starting from a trunk folder).</summary>
    public int Layers { get; set; } = 2;

    /// <summary>Hidden size of a fresh trunk (default 64).</summary>
    public int Hidden { get; set; } = 64;

    /// <summary>Attention heads of a fresh trunk (default 4).</summary>
    public int Heads { get; set; } = 4;

    /// <summary>SwiGLU width of a fresh trunk (default 128).</summary>
    public int Intermediate { get; set; } = 128;

    /// <summary>Longest input in tokens, in training and in the saved judge's use (default 128).</summary>
    public int MaxLength { get; set; } = 128;

    /// <summary>Epochs over the examples (default 2).</summary>
    public int Epochs { get; set; } = 2;

    /// <summary>Batch size (default 32).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Peak learning rate, cosine schedule with 10 % warm-up (default 2e-3).</summary>
    public double LearningRate { get; set; } = 2e-3;

    /// <summary>Seed of the fresh weights and the data order (default 1).</summary>
    public long Seed { get; set; } = 1;

    /// <summary>The input format (default beaver-dam's, <see cref="ClassifierJudgeOptions.BeaverDamTemplate"/>).</summary>
    public string InputTemplate { get; set; } = ClassifierJudgeOptions.BeaverDamTemplate;

    /// <summary>Checks every option; returns this.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public ClassifierJudgeTrainingOptions Validate()
    {
        foreach (var (value, name) in new[] { (Layers, nameof(Layers)), (Hidden, nameof(Hidden)), (Heads, nameof(Heads)), (Intermediate, nameof(Intermediate)), (Epochs, nameof(Epochs)), (BatchSize, nameof(BatchSize)) })
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1.");
        }
        if (Hidden % Heads != 0 || Hidden / Heads % 2 != 0)
            throw new ArgumentException($"Hidden {Hidden} must split into {Heads} heads of even size.", nameof(Hidden));
        if (MaxLength < 2)
            throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, "MaxLength must be at least 2.");
        if (!(LearningRate > 0))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be positive.");
        JudgePromptTemplate.Require(InputTemplate, nameof(InputTemplate), "prompt", "response");
        return this;
    }
}
