using System.Collections.Concurrent;
using System.Text.Json;
using SafeAlign.Chat;
using SafeAlign.Data;
using SafeAlign.Defenses;
using SafeAlign.Evaluation;
using SafeAlign.Evaluation.World;
using SafeAlign.Models;
using SafeAlign.Pruning;
using SafeAlign.Scoring;
using SafeAlign.Selection;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;

namespace SafeAlign.Testing;

/// <summary>
/// A seeded, tiny version of SafeAlign's embedded safety world for unit tests, built in memory in about a second: the
/// world's data (<see cref="World"/>), a byte-level BPE trained on it (<see cref="Tokenizer"/>) and a 2-layer
/// Llama-architecture model (<see cref="Model"/>, random or briefly trained), plus ready-made requests for the four
/// stages and a chat client. Everything is a function of <see cref="TinySafetyWorldOptions"/>: the same options give the
/// same data, ids and weights on CPU.
/// </summary>
/// <remarks>
/// The world and the tokenizer are immutable and shared, per options, by every instance in the process; models are not.
/// <see cref="Model"/> belongs to this object and is disposed with it; <see cref="CreateModel"/> hands out models the
/// caller disposes. The model is far too small to refuse or comply meaningfully: test plumbing (shapes, ids, files,
/// calls, cancellation), not safety numbers.
/// </remarks>
public sealed class TinySafetyWorld : IDisposable
{
    private static readonly ConcurrentDictionary<string, Lazy<(SafetyWorld World, TrainedTokenizerFiles Tokenizer)>> Shared = new();

    private readonly Lazy<CausalLM> _model;
    private readonly object _pretrainGate = new();
    private CausalLM? _trained; // the pretrained weights, copied into every model CreateModel builds for the same seed
    private bool _disposed;

    /// <summary>Builds (or reuses) the world and tokenizer for <paramref name="options"/>; the model is built on first use.</summary>
    /// <param name="options">The recipe; defaults when null.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public TinySafetyWorld(TinySafetyWorldOptions? options = null)
    {
        Options = (options ?? new TinySafetyWorldOptions()).Validate();
        var worldOptions = Options.EffectiveWorld();
        string key = JsonSerializer.Serialize(worldOptions) + "|v" + Options.VocabularySize;
        (World, TokenizerFiles) = Shared.GetOrAdd(key, _ => new Lazy<(SafetyWorld, TrainedTokenizerFiles)>(() =>
        {
            var world = SafetyWorld.Generate(worldOptions);
            var files = ByteLevelBpeTrainer.Train(WorldBaseModel.TokenizerCorpus(world), new ByteLevelBpeTrainerOptions { VocabularySize = Options.VocabularySize });
            return (world, files);
        })).Value;
        Tokenizer = TokenizerFiles.Load();
        ModelConfig = new ModelConfig
        {
            Architecture = ModelArchitecture.Llama,
            VocabSize = Tokenizer.VocabularySize,
            HiddenSize = Options.Hidden,
            IntermediateSize = Options.Intermediate,
            NumHiddenLayers = Options.Layers,
            NumAttentionHeads = Options.Heads,
            NumKeyValueHeads = Options.KeyValueHeads,
            HeadDim = Options.Hidden / Options.Heads,
            EosTokenIds = Tokenizer.EosId is int eos ? [eos] : [],
            PadTokenId = Tokenizer.PadId,
            TorchDtype = "float32",
        }.Validate();
        _model = new Lazy<CausalLM>(() => CreateModel());
    }

    /// <summary>A tiny world for <paramref name="seed"/> with every other option at its default.</summary>
    public static TinySafetyWorld Create(long seed = 1) => new(new TinySafetyWorldOptions { Seed = seed });

    /// <summary>The recipe.</summary>
    public TinySafetyWorldOptions Options { get; }

    /// <summary>The world's data: pretraining pairs, alignment rows, attack pool, test prompts, task rows.</summary>
    public SafetyWorld World { get; }

    /// <summary>The tokenizer's Hugging Face files (<c>tokenizer.json</c>, <c>tokenizer_config.json</c>), e.g. to write a model folder.</summary>
    public TrainedTokenizerFiles TokenizerFiles { get; }

    /// <summary>A byte-level BPE trained on the world's text (EOS <c>&lt;|im_end|&gt;</c>, pad <c>&lt;|pad|&gt;</c>, no chat template).</summary>
    public HfTokenizer Tokenizer { get; }

    /// <summary>The model's configuration.</summary>
    public ModelConfig ModelConfig { get; }

    /// <summary>The model for <see cref="TinySafetyWorldOptions.Seed"/>, built on first use; owned by this object.</summary>
    /// <exception cref="ObjectDisposedException">This object was disposed.</exception>
    public CausalLM Model
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _model.Value;
        }
    }

    /// <summary>The harmful test prompts (held out from every training split).</summary>
    public IReadOnlyList<string> HarmfulPrompts => World.HarmfulTest.Select(h => h.Prompt).ToList();

    /// <summary>The benign test prompts (for over-refusal).</summary>
    public IReadOnlyList<string> BenignPrompts => World.BenignTest.Select(b => b.Prompt).ToList();

    /// <summary>
    /// A new model for <paramref name="seed"/> (default <see cref="TinySafetyWorldOptions.Seed"/>), in eval mode, that the
    /// caller owns: randomly initialised, then trained <see cref="TinySafetyWorldOptions.PretrainSteps"/> steps.
    /// </summary>
    /// <exception cref="ObjectDisposedException">This object was disposed.</exception>
    public CausalLM CreateModel(long? seed = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long s = seed ?? Options.Seed;
        var model = new CausalLM(ModelConfig, torch.ScalarType.Float32);
        try
        {
            model.InitializeWeights(s, Options.InitStd);
            if (Options.PretrainSteps > 0)
            {
                lock (_pretrainGate)
                    Pretrain(model, s);
            }
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The world's alignment data (<see cref="WorldAlignment.Data"/>): every alignment row, the benign rows, the task rows,
    /// the alignment prompts' compliance pairs as harmful data, and the validation refusals.
    /// </summary>
    public AlignmentData AlignmentData() => WorldAlignment.Data(World);

    /// <summary>
    /// A user's fine-tuning set tokenized as the harmful fine-tuning attack does (Alpaca prompt, response labels): the
    /// first <paramref name="harmful"/> attack pairs (prompt → compliance), then every SST-2 and AG News training row.
    /// </summary>
    /// <param name="harmful">Harmful samples first in the set (0 … attack pool size; default 4).</param>
    /// <param name="maxLength">Longest example in tokens (default 128).</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range.</exception>
    public List<TokenizedExample> UserData(int harmful = 4, int maxLength = 128)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(harmful);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(harmful, World.AttackPool.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 16);
        var items = World.AttackPool.Take(harmful).Select(h => (h.Prompt, (string?)null, h.Response))
            .Concat(World.TaskTrain["sst2"].Concat(World.TaskTrain["agnews"]).Select(t => (t.Instruction, t.Input.Length == 0 ? null : (string?)t.Input, t.Answer)));
        return InstructionExamples.Build(Tokenizer, maxLength, items);
    }

    /// <summary>A selection request over <see cref="AlignmentData"/> for <paramref name="model"/> (default <see cref="Model"/>).</summary>
    public SelectionRequest SelectionRequest(CausalLM? model = null) => new(model ?? Model, Tokenizer, AlignmentData());

    /// <summary>An alignment request over <see cref="AlignmentData"/> for <paramref name="model"/> (default <see cref="Model"/>).</summary>
    public AlignmentRequest AlignmentRequest(CausalLM? model = null) => new(model ?? Model, Tokenizer, AlignmentData());

    /// <summary>A token-risk request over <paramref name="userData"/> (default <see cref="UserData"/>) with <see cref="AlignmentData"/> as reference.</summary>
    public TokenRiskRequest TokenRiskRequest(CausalLM? model = null, IReadOnlyList<TokenizedExample>? userData = null) =>
        new(model ?? Model, Tokenizer, userData ?? UserData(), AlignmentData());

    /// <summary>A pruning request with the alignment prompts' compliance pairs as harmful calibration data and the SST-2 rows as benign data.</summary>
    public PruningRequest PruningRequest(CausalLM? model = null) =>
        new(model ?? Model, Tokenizer, World.AlignmentHarmful) { Benign = World.TaskTrain["sst2"] };

    /// <summary>An <c>IChatClient</c> over <paramref name="model"/> (default <see cref="Model"/>) and the tokenizer (Alpaca format); dispose it, not the model.</summary>
    public SafeAlignChatClient ChatClient(CausalLM? model = null, SafeAlignChatClientOptions? options = null) =>
        new(model ?? Model, Tokenizer, options ?? new SafeAlignChatClientOptions { ModelId = "tiny-safety-world" });

    /// <summary>
    /// Writes <paramref name="model"/> (default <see cref="Model"/>) as a Hugging Face folder (<c>config.json</c>,
    /// <c>model.safetensors</c>, tokenizer files) that <see cref="CausalLM.FromPretrained"/> and
    /// <see cref="HfTokenizer.FromFolder"/> load: for code under test that takes a model path. The files are written into
    /// a sibling temporary folder that is then renamed, so the folder appears complete or not at all.
    /// </summary>
    /// <param name="folder">Where to write; must not exist yet, or be empty.</param>
    /// <param name="model">The model to save; it must have no adapter attached.</param>
    /// <returns>The full path of the folder.</returns>
    /// <exception cref="IOException">The folder exists and is not empty.</exception>
    /// <exception cref="ArgumentException">The model carries a LoRA adapter (merge or detach it first).</exception>
    public string SaveModel(string folder, CausalLM? model = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        model ??= Model;
        if (model.Lora is not null)
            throw new ArgumentException("The model carries a LoRA adapter; merge (MergeAndDetachLora) or detach it before saving a base-model folder.", nameof(model));
        string full = Path.GetFullPath(folder);
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw new IOException($"'{full}' exists and is not empty; expected a new or empty folder.");
        string temp = full.TrimEnd(Path.DirectorySeparatorChar) + ".tmp-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(temp);
        try
        {
            model.SavePretrained(temp);
            TokenizerFiles.Save(temp);
            if (Directory.Exists(full))
                Directory.Delete(full);
            Directory.Move(temp, full);
            return full;
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>Disposes <see cref="Model"/> (when built) and the cached pretrained weights; models from <see cref="CreateModel"/> stay with their owners.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (_model.IsValueCreated)
            _model.Value.Dispose();
        lock (_pretrainGate)
            _trained?.Dispose();
    }

    // Full-model training on the world's pretraining pairs (response tokens only), as the world's base model is trained.
    // The first model trained for the options' seed is kept, so later models for that seed copy it instead of retraining.
    private void Pretrain(CausalLM model, long seed)
    {
        if (seed == Options.Seed && _trained is not null)
        {
            using var noGrad = torch.no_grad();
            model.load_state_dict(_trained.state_dict());
            return;
        }
        var examples = InstructionExamples.Build(Tokenizer, Options.MaxLength, World.Pretraining.Select(t => (t.Instruction, (string?)t.Input, t.Answer)));
        var trainer = new Trainer(new TrainerOptions
        {
            LearningRate = Options.PretrainLearningRate,
            BatchSize = Options.PretrainBatchSize,
            MaxSteps = Options.PretrainSteps,
            Epochs = Options.PretrainSteps,
            MaxLength = Options.MaxLength,
            PadTokenId = Tokenizer.PadId ?? 0,
            Seed = seed,
            LogEvery = Math.Max(1, Options.PretrainSteps),
        });
        trainer.Run(model, examples);
        if (seed == Options.Seed)
        {
            var copy = new CausalLM(ModelConfig, torch.ScalarType.Float32);
            using var noGrad = torch.no_grad();
            copy.load_state_dict(model.state_dict());
            _trained = copy;
        }
    }
}
