using Microsoft.Extensions.Logging;
using SafeAlign.Evaluation.World;
using SafeAlign.Models;
using SafeAlign.Native;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;

namespace SafeAlign.Evaluation;

/// <summary>
/// Trains a two-label (safe/unsafe) classifier judge with SafeAlign's <see cref="Trainer"/> and
/// <see cref="SequenceClassificationStep"/>, and saves it as a Hugging Face <c>LlamaForSequenceClassification</c>
/// folder that <see cref="ClassifierJudge.FromPretrained"/> loads. On the embedded world it stands in for
/// beaver-dam: it learns compliance (unsafe) against refusals and benign answers (safe) from the world's labels.
/// </summary>
public static class ClassifierJudgeTrainer
{
    /// <summary>The saved head's label names, by index.</summary>
    public static readonly IReadOnlyList<string> LabelNames = ["safe", "unsafe"];

    private static readonly string[] TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt", "added_tokens.json"];

    /// <summary>
    /// The world's labelled training responses: alignment rows (refusals, safe; the mislabelled compliant rows
    /// unsafe, by their <c>IsSafe</c>), benign how-to answers (safe) and attack-pool compliance (unsafe).
    /// Held-out prompts are not included.
    /// </summary>
    public static IReadOnlyList<LabelledResponse> WorldExamples(SafetyWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        return world.Alignment.Select(a => new LabelledResponse(a.Example.Prompt, a.Example.Response, !a.Example.IsSafe))
            .Concat(world.AlignmentBenign.Select(b => new LabelledResponse(b.Prompt, b.Response, false)))
            .Concat(world.AttackPool.Select(a => new LabelledResponse(a.Prompt, a.Response, true)))
            .ToList();
    }

    /// <summary>
    /// Trains on <paramref name="examples"/> and saves the judge to <paramref name="outputFolder"/> atomically (built in
    /// a sibling temp folder, then renamed; an existing folder is replaced). Deterministic for a seed on CPU.
    /// </summary>
    /// <param name="examples">Labelled responses (both labels present).</param>
    /// <param name="tokenizerFolder">A folder with Hugging Face tokenizer files (e.g. the world base model's); they are copied.</param>
    /// <param name="outputFolder">Where the judge goes.</param>
    /// <param name="options">Shape and recipe (default <see cref="ClassifierJudgeTrainingOptions"/>).</param>
    /// <param name="trunkFolder">A causal-LM folder to start the trunk from (its shape replaces the options'); null for fresh weights.</param>
    /// <param name="logger">Training logs.</param>
    /// <param name="progress">Training progress.</param>
    /// <param name="cancellationToken">Stops training between micro-batches.</param>
    /// <returns>The training report.</returns>
    /// <exception cref="ArgumentException">The examples are empty or hold one label only.</exception>
    public static Task<TrainingReport> TrainAsync(IReadOnlyList<LabelledResponse> examples, string tokenizerFolder, string outputFolder,
        ClassifierJudgeTrainingOptions? options = null, string? trunkFolder = null, ILogger<Trainer>? logger = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenizerFolder);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputFolder);
        options = (options ?? new ClassifierJudgeTrainingOptions()).Validate();
        if (examples.Any(e => e is null || e.Prompt is null || e.Response is null))
            throw new ArgumentException("An example, prompt or response is null.", nameof(examples));
        if (!examples.Any(e => e.Harmful) || !examples.Any(e => !e.Harmful))
            throw new ArgumentException("The examples need both harmful and harmless responses.", nameof(examples));
        if (!Directory.Exists(tokenizerFolder))
            throw new DirectoryNotFoundException($"No tokenizer folder at '{tokenizerFolder}'.");
        if (trunkFolder is not null && !Directory.Exists(trunkFolder))
            throw new DirectoryNotFoundException($"No trunk folder at '{trunkFolder}'.");
        // Tensor dispose scopes are per thread, so the whole run gets a thread of its own, as Trainer.RunAsync does.
        return ComputeThread.RunAsync(() => Train(examples, tokenizerFolder, outputFolder, options, trunkFolder, logger, progress, cancellationToken), cancellationToken);
    }

    private static TrainingReport Train(IReadOnlyList<LabelledResponse> examples, string tokenizerFolder, string outputFolder,
        ClassifierJudgeTrainingOptions options, string? trunkFolder, ILogger<Trainer>? logger, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var tokenizer = HfTokenizer.FromFolder(tokenizerFolder);
        var config = ClassifierConfig(tokenizer, options, trunkFolder);
        var inputOptions = new ClassifierJudgeOptions { InputTemplate = options.InputTemplate, MaxLength = options.MaxLength };
        var data = examples.Select(e => SequenceClassificationStep.Example(ClassifierJudge.EncodeInput(tokenizer, e.Prompt, e.Response, inputOptions), e.Harmful ? 1 : 0)).ToList();

        using var model = new CausalLM(config, torch.ScalarType.Float32);
        model.InitializeWeights(options.Seed);
        if (trunkFolder is not null)
            model.LoadTrunkWeights(trunkFolder);
        var trainer = new Trainer(new TrainerOptions
        {
            LearningRate = options.LearningRate,
            Schedule = LrSchedule.Cosine,
            WarmupRatio = 0.1,
            Epochs = options.Epochs,
            BatchSize = options.BatchSize,
            PadTokenId = tokenizer.PadId ?? tokenizer.EosId ?? 0,
            Seed = options.Seed,
            LogEvery = 10,
        }, logger);
        var report = trainer.Run(model, data, SequenceClassificationStep.Instance, progress, cancellationToken);
        Save(model, tokenizerFolder, outputFolder);
        return report;
    }

    private static ModelConfig ClassifierConfig(HfTokenizer tokenizer, ClassifierJudgeTrainingOptions options, string? trunkFolder)
    {
        const string problemType = "single_label_classification";
        if (trunkFolder is not null)
            return ModelConfig.Load(trunkFolder).WithHead(LabelNames.Count, LabelNames, problemType);
        return new ModelConfig
        {
            VocabSize = tokenizer.VocabularySize,
            HiddenSize = options.Hidden,
            IntermediateSize = options.Intermediate,
            NumHiddenLayers = options.Layers,
            NumAttentionHeads = options.Heads,
            NumKeyValueHeads = options.Heads,
            HeadDim = options.Hidden / options.Heads,
            MaxPositionEmbeddings = Math.Max(options.MaxLength, 128),
            EosTokenIds = tokenizer.EosId is int eos ? [eos] : [],
            BosTokenId = tokenizer.BosId,
            PadTokenId = tokenizer.PadId,
            TorchDtype = "float32",
            NumLabels = LabelNames.Count,
            Labels = LabelNames,
            ProblemType = problemType,
        }.Validate();
    }

    /// <summary>
    /// Saves a sequence classifier as a Hugging Face folder (config.json, model.safetensors with <c>model.*</c> and
    /// <c>score.weight</c>, the tokenizer files copied from <paramref name="tokenizerFolder"/>), atomically: built in a
    /// sibling temp folder and renamed, so a crash never leaves a half-written judge; an existing folder is replaced.
    /// </summary>
    /// <exception cref="ArgumentException">The model has no classification head.</exception>
    public static void Save(CausalLM model, string tokenizerFolder, string outputFolder)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenizerFolder);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputFolder);
        if (!model.Config.IsSequenceClassifier)
            throw new ArgumentException("The model is a causal LM, not a sequence classifier.", nameof(model));
        string full = Path.GetFullPath(outputFolder);
        string temp = Path.TrimEndingDirectorySeparator(full) + ".tmp-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(temp);
        try
        {
            model.SavePretrained(temp);
            foreach (string name in TokenizerFiles.Where(n => File.Exists(Path.Combine(tokenizerFolder, n))))
                File.Copy(Path.Combine(tokenizerFolder, name), Path.Combine(temp, name));
            if (Directory.Exists(full))
                Directory.Delete(full, recursive: true);
            Directory.Move(temp, full);
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
    }
}
