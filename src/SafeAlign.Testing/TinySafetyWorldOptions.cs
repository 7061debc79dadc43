using SafeAlign.Evaluation.World;

namespace SafeAlign.Testing;

/// <summary>
/// The recipe of a <see cref="TinySafetyWorld"/>: a few dozen rows of each world split, a 512-id byte-level BPE trained on
/// them, and a 2-layer, 32-wide Llama-architecture model. Defaults build in about a second on one CPU core.
/// </summary>
public sealed class TinySafetyWorldOptions
{
    /// <summary>Seed of the world (when <see cref="World"/> is null) and of the model's initialisation (default 1).</summary>
    public long Seed { get; set; } = 1;

    /// <summary>
    /// The world's options; null (default) uses <see cref="DefaultWorld"/> for <see cref="Seed"/>. Set it to test code
    /// against a world with other proportions (e.g. more low-quality alignment rows).
    /// </summary>
    public SafetyWorldOptions? World { get; set; }

    /// <summary>Tokenizer vocabulary, 4 special tokens and 256 bytes included (default 512).</summary>
    public int VocabularySize { get; set; } = 512;

    /// <summary>Decoder layers (default 2).</summary>
    public int Layers { get; set; } = 2;

    /// <summary>Hidden size (default 32).</summary>
    public int Hidden { get; set; } = 32;

    /// <summary>SwiGLU width (default 48).</summary>
    public int Intermediate { get; set; } = 48;

    /// <summary>Attention heads (default 4; head size = <see cref="Hidden"/> / heads).</summary>
    public int Heads { get; set; } = 4;

    /// <summary>Key/value heads (default 2, so grouped-query attention is exercised).</summary>
    public int KeyValueHeads { get; set; } = 2;

    /// <summary>Standard deviation of the random initialisation (default 0.1: large enough that tiny models give varied logits).</summary>
    public double InitStd { get; set; } = 0.1;

    /// <summary>
    /// Full-model training steps on the world's pretraining pairs after initialisation (default 0: random weights). A few
    /// dozen steps give a model whose answers take the world's shape, at a second or two of CPU each dozen.
    /// </summary>
    public int PretrainSteps { get; set; }

    /// <summary>Learning rate of those steps (default 1e-2, constant).</summary>
    public double PretrainLearningRate { get; set; } = 1e-2;

    /// <summary>Batch size of those steps (default 16).</summary>
    public int PretrainBatchSize { get; set; } = 16;

    /// <summary>Longest training sequence of those steps, in tokens (default 128).</summary>
    public int MaxLength { get; set; } = 128;

    /// <summary>
    /// The tiny world for <paramref name="seed"/>: 200 pretraining pairs, 64 alignment rows (with their harmful pairs), 16
    /// benign and 16 validation rows, 16 attack pairs, 8 harmful and 8 benign test prompts, 8 train and 4 test rows per task.
    /// </summary>
    public static SafetyWorldOptions DefaultWorld(long seed) => new()
    {
        Seed = seed, PretrainingSize = 200, AlignmentSize = 64, AlignmentBenignSize = 16, AlignmentValidationSize = 16, AttackPoolSize = 16,
        HarmfulTestSize = 8, BenignTestSize = 8, TaskTrainSize = 8, TaskTestSize = 4,
    };

    /// <summary>Checks every setting; returns this.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public TinySafetyWorldOptions Validate()
    {
        World?.Validate();
        if (VocabularySize < 260)
            throw new ArgumentException($"TinySafetyWorldOptions.VocabularySize is {VocabularySize}; expected at least 260 (4 special tokens + 256 bytes).");
        if (Layers < 1 || Hidden < 1 || Intermediate < 1)
            throw new ArgumentException($"TinySafetyWorldOptions: Layers {Layers}, Hidden {Hidden} and Intermediate {Intermediate} must all be at least 1.");
        if (Heads < 1 || Hidden % Heads != 0 || (Hidden / Heads) % 2 != 0)
            throw new ArgumentException($"TinySafetyWorldOptions.Heads is {Heads}; expected a divisor of Hidden ({Hidden}) leaving an even head size.");
        if (KeyValueHeads < 1 || Heads % KeyValueHeads != 0)
            throw new ArgumentException($"TinySafetyWorldOptions.KeyValueHeads is {KeyValueHeads}; expected a divisor of Heads ({Heads}).");
        if (!(InitStd > 0 && double.IsFinite(InitStd)))
            throw new ArgumentException($"TinySafetyWorldOptions.InitStd is {InitStd}; expected a positive number.");
        if (PretrainSteps < 0)
            throw new ArgumentException($"TinySafetyWorldOptions.PretrainSteps is {PretrainSteps}; expected 0 or more.");
        if (!(PretrainLearningRate > 0 && double.IsFinite(PretrainLearningRate)))
            throw new ArgumentException($"TinySafetyWorldOptions.PretrainLearningRate is {PretrainLearningRate}; expected a positive number.");
        if (PretrainBatchSize < 1)
            throw new ArgumentException($"TinySafetyWorldOptions.PretrainBatchSize is {PretrainBatchSize}; expected at least 1.");
        if (MaxLength < 16)
            throw new ArgumentException($"TinySafetyWorldOptions.MaxLength is {MaxLength}; expected at least 16.");
        return this;
    }

    /// <summary>The world options in effect: <see cref="World"/>, or <see cref="DefaultWorld"/> for <see cref="Seed"/>.</summary>
    public SafetyWorldOptions EffectiveWorld() => World ?? DefaultWorld(Seed);
}
