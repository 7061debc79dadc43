using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SafeAlign.Data;
using SafeAlign.Models;
using SafeAlign.Native;
using SafeAlign.Tokenization;
using SafeAlign.Tokenization.Templates;
using SafeAlign.Training;
using TorchSharp;

namespace SafeAlign.Evaluation.World;

/// <summary>Shape and pretraining recipe of the world's tiny base model (defaults from the calibration notes).</summary>
public sealed class WorldBaseModelOptions
{
    /// <summary>
    /// Decoder layers (default 3). Four layers, the default until 2026-12-01, pretrained in 343–358 s on a 2-core AVX2 VM,
    /// over the 5 minutes the world is meant to take; three take 233–238 s there and meet every target (docs/world.md).
    /// </summary>
    public int Layers { get; set; } = 3;

    /// <summary>Hidden size (default 192).</summary>
    public int Hidden { get; set; } = 192;

    /// <summary>Attention heads (default 6).</summary>
    public int Heads { get; set; } = 6;

    /// <summary>SwiGLU width (default 512).</summary>
    public int Intermediate { get; set; } = 512;

    /// <summary>Tokenizer vocabulary size, specials and bytes included (default 1024).</summary>
    public int VocabularySize { get; set; } = 1024;

    /// <summary>Longest training sequence in tokens (default 128).</summary>
    public int MaxLength { get; set; } = 128;

    /// <summary>
    /// Pretraining optimizer steps (default 450, 1.2 epochs of the corpus). Shorter recipes tried on world v5 left a base
    /// model that alignment costs over 5 points of FA or that fails a task (docs/world.md): 300 steps at lr 2e-3 (FA 78 %)
    /// or 3e-3 (6.5-point drop), 400 at 2e-3 (5.2 and 5.6-point drops), 360 at 2.5e-3 (alpaca 4 % on seed 3).
    /// </summary>
    public int Steps { get; set; } = 450;

    /// <summary>Pretraining batch size (default 64).</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>
    /// Forward passes per batch, by template and length (<see cref="TrainerOptions.LengthSortedSplits"/>, with
    /// <see cref="TrainerOptions.ShareCommonPrefix"/>; default 4): the same gradient as one padded pass for about 60 % of
    /// its positions (docs/performance.md).
    /// </summary>
    public int LengthSortedSplits { get; set; } = 4;

    /// <summary>Peak learning rate, cosine schedule (default 2e-3).</summary>
    public double LearningRate { get; set; } = 2e-3;

    /// <summary>Where base models are cached; default <c>$SAFEALIGN_CACHE</c> or <c>~/.cache/safealign</c>.</summary>
    public string? CacheDirectory { get; set; }
}

/// <summary>
/// The world's base model: a Llama-architecture model trained from scratch on <see cref="SafetyWorld.Pretraining"/>
/// with SafeAlign's own tokenizer trainer and <see cref="Trainer"/> (loss on response tokens only), helpful and
/// unaligned. Saved as a Hugging Face folder (config.json, model.safetensors, tokenizer files) in a cache folder
/// keyed by world version, seed, recipe and a hash of the world's text, and reused from there.
/// </summary>
public static class WorldBaseModel
{
    private const string DoneMarker = "complete.json";

    /// <summary>
    /// The cache folder for a world and recipe: world version, pretraining options and recipe (readable), then a hash of
    /// <see cref="TokenizerCorpus"/>. The tokenizer is trained on every split's text, so two worlds with the same
    /// pretraining options but other alignment or test splits train different models and must not share a folder.
    /// </summary>
    /// <param name="world">The world the model is trained on.</param>
    /// <param name="options">The recipe; defaults when null.</param>
    public static string CacheFolder(SafetyWorld world, WorldBaseModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(world);
        options ??= new WorldBaseModelOptions();
        string root = options.CacheDirectory
            ?? Environment.GetEnvironmentVariable("SAFEALIGN_CACHE")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "safealign");
        // "-x4lp": 4 least-padded passes per batch sharing prefixes (the trainer's pass boundaries changed from equal-size
        // runs, which gave other rounding: "-x4p" folders hold models trained that way).
        string recipe = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"L{options.Layers}-d{options.Hidden}-h{options.Heads}-i{options.Intermediate}-v{options.VocabularySize}-s{options.Steps}-b{options.BatchSize}-lr{options.LearningRate:G4}-len{options.MaxLength}-x{options.LengthSortedSplits}lp");
        return Path.Combine(root, $"world-v{SafetyWorld.Version}-{world.Options.PretrainingKey()}-{recipe}-c{CorpusHash(world)}");
    }

    // First 12 hex digits of SHA-256 over the tokenizer corpus (NUL-separated UTF-8): 48 bits against collisions
    // between the handful of worlds one cache holds.
    private static string CorpusHash(SafetyWorld world)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        byte[] separator = [0];
        foreach (string text in TokenizerCorpus(world))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(text));
            hash.AppendData(separator);
        }
        return Convert.ToHexString(hash.GetHashAndReset())[..12].ToLowerInvariant();
    }

    /// <summary>Returns the cached base model folder, training and saving it first when absent.</summary>
    public static string GetOrTrain(SafetyWorld world, WorldBaseModelOptions? options = null, ILogger? logger = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(world);
        options ??= new WorldBaseModelOptions();
        logger ??= NullLogger.Instance;
        string folder = CacheFolder(world, options);
        if (File.Exists(Path.Combine(folder, DoneMarker)))
            return folder;
        // All tensor work on a compute thread that ends with it (ComputeThread: OpenMP teams are per thread).
        return ComputeThread.Run(() => Train(world, options, folder, logger, progress, cancellationToken));
    }

    private static string Train(SafetyWorld world, WorldBaseModelOptions options, string folder, ILogger logger,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        // Build into a sibling folder and rename, so an interrupted run never leaves a half-written model behind.
        string temp = folder + ".tmp-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(temp);
        try
        {
            var tokenizerFiles = ByteLevelBpeTrainer.Train(TokenizerCorpus(world), new ByteLevelBpeTrainerOptions
            {
                VocabularySize = options.VocabularySize,
                ModelMaxLength = options.MaxLength,
            });
            tokenizerFiles.Save(temp);
            var tokenizer = tokenizerFiles.Load();
            var examples = InstructionExamples.Build(tokenizer, options.MaxLength, world.Pretraining.Select(t => (t.Instruction, (string?)t.Input, t.Answer)));
            var config = new ModelConfig
            {
                VocabSize = tokenizer.VocabularySize,
                HiddenSize = options.Hidden,
                IntermediateSize = options.Intermediate,
                NumHiddenLayers = options.Layers,
                NumAttentionHeads = options.Heads,
                NumKeyValueHeads = options.Heads,
                HeadDim = options.Hidden / options.Heads,
                MaxPositionEmbeddings = options.MaxLength * 2,
                TieWordEmbeddings = true,
                EosTokenIds = tokenizer.EosId is int eos ? [eos] : [],
                PadTokenId = tokenizer.PadId,
                TorchDtype = "float32",
            }.Validate();
            using var model = new CausalLM(config, torch.ScalarType.Float32);
            model.InitializeWeights(world.Options.Seed);
            var trainer = new Trainer(new TrainerOptions
            {
                LearningRate = options.LearningRate,
                Schedule = LrSchedule.Cosine,
                WarmupRatio = 0.05,
                WeightDecay = 0.1,
                BatchSize = options.BatchSize,
                LengthSortedSplits = options.LengthSortedSplits,
                ShareCommonPrefix = true,
                MaxSteps = options.Steps,
                Epochs = 1_000,
                MaxLength = options.MaxLength,
                PadTokenId = tokenizer.PadId ?? 0,
                Seed = world.Options.Seed,
                LogEvery = 25,
            }, logger as ILogger<Trainer>);
            var report = trainer.Run(model, examples, progress: progress, cancellationToken: cancellationToken);
            model.SavePretrained(temp);
            File.WriteAllText(Path.Combine(temp, DoneMarker),
                $$"""{"world_version": {{SafetyWorld.Version}}, "seed": {{world.Options.Seed}}, "steps": {{report.Steps}}, "final_loss": {{report.Losses[^1].ToString("R", System.Globalization.CultureInfo.InvariantCulture)}}, "seconds": {{report.Elapsed.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)}}}""");
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
            Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
            Directory.Move(temp, folder);
            return folder;
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>
    /// The text the world's tokenizer is trained on: the world's text plus the Alpaca scaffolding of its first 2,000
    /// pretraining pairs, so the template's words are single tokens too.
    /// </summary>
    /// <param name="world">The world.</param>
    public static IEnumerable<string> TokenizerCorpus(SafetyWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        var scaffold = world.Pretraining.Take(2_000).Select(t => AlpacaTemplate.RenderPrompt(t.Instruction, string.IsNullOrEmpty(t.Input) ? null : t.Input) + t.Answer);
        return scaffold.Concat(world.AllText());
    }
}
