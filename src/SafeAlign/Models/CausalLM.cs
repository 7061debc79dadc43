using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SafeAlign.Models.Lora;
using SafeAlign.Models.Safetensors;
using SafeAlign.Models.Taps;
using SafeAlign.Native;
using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace SafeAlign.Models;

/// <summary>
/// A Llama-family causal LM (Llama, Mistral, Qwen2, Qwen3) with HF state-dict names and numerics:
/// <c>model.embed_tokens</c>, <c>model.layers.{i}</c>, <c>model.norm</c>, <c>lm_head</c> (absent when tied).
/// Every linear projection is a <see cref="LoraLinear"/>, so adapters attach without model surgery, and
/// <see cref="Taps"/> exposes intermediate tensors to the methods built on it.
/// A config with <see cref="ModelConfig.NumLabels"/> (<c>*ForSequenceClassification</c>) gives the same trunk with a
/// <c>score</c> head instead of <c>lm_head</c>, as HF's <c>LlamaForSequenceClassification</c>: one family driven by
/// config flags, so classifiers load, train (through the same <c>Trainer</c>) and save like any causal LM.
/// </summary>
public sealed class CausalLM : nn.Module
{
    [ComponentName(Name = "model")] private readonly DecoderStack _model;
    [ComponentName(Name = "lm_head")] private readonly LoraLinear? _lmHead;
    [ComponentName(Name = "score")] private readonly LoraLinear? _score;
    private readonly RotaryEmbedding _rope;

    /// <summary>Creates a model with uninitialised weights; use <see cref="FromPretrained"/> or <see cref="InitializeWeights"/>.</summary>
    public CausalLM(ModelConfig config, ScalarType dtype, Device? device = null) : base(nameof(CausalLM))
    {
        Config = (config ?? throw new ArgumentNullException(nameof(config))).Validate();
        Dtype = dtype;
        Device = device ?? CPU;
        _model = new DecoderStack(config, dtype, Device, Taps, Recomputation);
        if (config.NumLabels is int labels)
            _score = new LoraLinear(config.HiddenSize, labels, bias: false, dtype, Device);
        else if (!config.TieWordEmbeddings)
            _lmHead = new LoraLinear(config.HiddenSize, config.VocabSize, bias: false, dtype, Device);
        _rope = new RotaryEmbedding(config, Device);
        RegisterComponents();
    }

    /// <summary>The model's config.</summary>
    public ModelConfig Config { get; }

    /// <summary>Compute dtype of the base weights.</summary>
    public ScalarType Dtype { get; }

    /// <summary>Device of the weights.</summary>
    public Device Device { get; }

    /// <summary>Taps on intermediate tensors (see <see cref="ModelTaps"/>).</summary>
    public ModelTaps Taps { get; } = new();

    /// <summary>Which decoder layers keep only their input and recompute their activations in the backward (see <see cref="ActivationRecomputation"/>).</summary>
    public ActivationRecomputation Recomputation { get; } = new();

    /// <summary>The LoRA adapter currently attached, or null.</summary>
    public LoraConfig? Lora { get; private set; }

    /// <summary>
    /// Loads a Hugging Face model folder (<c>config.json</c> + safetensors, single or sharded), reading each
    /// tensor straight into its parameter and converting to the compute dtype on the way.
    /// </summary>
    /// <exception cref="ModelConfigException">The config is malformed or unsupported.</exception>
    /// <exception cref="ModelLoadException">The checkpoint lacks a weight or holds one the model does not have.</exception>
    /// <exception cref="SafetensorsFormatException">A weight file is malformed.</exception>
    public static CausalLM FromPretrained(string folder, ModelOptions? options = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        options ??= new ModelOptions();
        var config = ModelConfig.Load(folder);
        var device = SafeAlignDevice.Resolve(options.Device, logger);
        var model = new CausalLM(config, options.ResolveDtype(device), device.Device);
        try
        {
            using var checkpoint = SafetensorsCheckpoint.Open(folder);
            model.LoadWeights(checkpoint, folder);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        Log.ModelLoaded(logger ?? NullLogger.Instance, config.Architecture.ToString(), folder, config.NumHiddenLayers, config.HiddenSize, model.Dtype.ToString(), model.Device.ToString());
        return model;
    }

    /// <summary>
    /// Writes this model's <c>config.json</c> and its weights as one <c>model.safetensors</c> into <paramref name="folder"/>
    /// (created when missing), the pair <see cref="FromPretrained"/> reads back; each file is written atomically. Tokenizer
    /// files are the caller's; a caller that needs the whole folder to appear at once writes it under a temporary name and renames it.
    /// </summary>
    /// <exception cref="InvalidOperationException">A LoRA adapter is attached (merge or detach it first).</exception>
    public void SavePretrained(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (Lora is not null)
            throw new InvalidOperationException("The model carries a LoRA adapter; merge (MergeAndDetachLora) or detach it before saving a model folder.");
        Directory.CreateDirectory(folder);
        string config = Path.Combine(folder, "config.json"), temp = config + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(temp, Config.ToJson());
        File.Move(temp, config, overwrite: true);
        SafetensorsWriter.Save(Path.Combine(folder, SafetensorsCheckpoint.SingleFileName), state_dict(), new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>
    /// Initialises every weight for training from scratch, as HF's <c>_init_weights</c>: normal(0, 0.02)
    /// linears and embedding, zero biases, unit norms. Deterministic for a seed.
    /// </summary>
    public void InitializeWeights(long seed, double std = 0.02)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var (name, p) in named_parameters())
        {
            if (name.Contains(".lora_", StringComparison.Ordinal))
                continue;
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
                p.fill_(1);
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
                p.zero_();
            else
                p.copy_(randn(p.shape, dtype: float32, generator: generator) * std);
        }
    }

    /// <summary>
    /// Logits (B, T, vocab) in the compute dtype, or per-position label scores (B, T, labels) for a sequence classifier.
    /// See <see cref="HiddenStates"/> for the arguments.
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        return Logits(HiddenStates(inputIds, attentionMask, positionIds, cache)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Final-norm hidden states (B, T, hidden).
    /// </summary>
    /// <param name="inputIds">Token ids (B, T), int64.</param>
    /// <param name="attentionMask">1 for real tokens, 0 for padding, over past + current positions (B, S); null = all real.</param>
    /// <param name="positionIds">Positions (B, T); null derives them from the mask as HF generation does
    /// (<c>cumsum(mask) − 1</c>, padding set to 1), or counts on from the cache.</param>
    /// <param name="cache">Keys/values of earlier positions, extended in place; null for a full forward.</param>
    public Tensor HiddenStates(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KvCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        if (inputIds.dim() != 2)
            throw new ArgumentException($"inputIds has shape [{string.Join(", ", inputIds.shape)}]; expected (batch, seq).", nameof(inputIds));
        long b = inputIds.shape[0], t = inputIds.shape[1], past = cache?.Length ?? 0, total = past + t;
        if (attentionMask is not null && (attentionMask.dim() != 2 || attentionMask.shape[0] != b || attentionMask.shape[1] != total))
            throw new ArgumentException($"attentionMask has shape [{string.Join(", ", attentionMask.shape)}]; expected ({b}, {total}) covering cached and new positions.", nameof(attentionMask));
        if (Config.SlidingWindow is int window && total > window)
            throw new NotSupportedException($"The sequence has {total} positions but the model's sliding_window is {window}; sliding-window attention is not implemented, so SafeAlign refuses rather than compute full attention.");

        using var scope = NewDisposeScope();
        var ids = inputIds.to(Device);
        var mask = attentionMask?.to(Device);
        var positions = positionIds?.to(Device) ?? DefaultPositions(mask, b, t, past);
        var (cos, sin) = _rope.Compute(positions);
        var context = new AttentionContext(cos, sin, AttentionMask(mask, t, past), cache);
        return _model.call(ids, context).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="HiddenStates"/> (B, T, hidden) of a right-padded batch whose rows all start with the same
    /// <paramref name="prefixLength"/> tokens, computing that prefix once: the prefix runs as a batch of one into a cache
    /// that keeps the autograd graph, the rest of every row attends to it, and the prefix's states are broadcast to all
    /// rows, so values and gradients equal the plain forward's (up to rounding) for a fraction of the work. Training
    /// only: a dropout mask on the prefix is shared by the rows. Chat and task templates make such prefixes common
    /// (the Alpaca header is 24–33 tokens of a world example's 76).
    /// </summary>
    /// <param name="inputIds">Token ids (B, T), int64; the first <paramref name="prefixLength"/> columns equal in every row.</param>
    /// <param name="attentionMask">1 for real tokens, 0 for padding (B, T), right padding, real over the prefix; null = all real.</param>
    /// <param name="prefixLength">Shared positions, 1 to T − 1.</param>
    /// <exception cref="ArgumentException">The prefix is out of range, or the rows do not share it, or it holds padding.</exception>
    public Tensor HiddenStatesSharingPrefix(Tensor inputIds, Tensor? attentionMask, long prefixLength)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        if (inputIds.dim() != 2)
            throw new ArgumentException($"inputIds has shape [{string.Join(", ", inputIds.shape)}]; expected (batch, seq).", nameof(inputIds));
        long b = inputIds.shape[0], t = inputIds.shape[1];
        if (prefixLength < 1 || prefixLength >= t)
            throw new ArgumentOutOfRangeException(nameof(prefixLength), $"prefixLength is {prefixLength}; expected 1 to {t - 1} for sequences of {t} tokens.");
        using var scope = NewDisposeScope();
        var ids = inputIds.to(Device);
        var mask = attentionMask?.to(Device);
        var prefix = ids.narrow(1, 0, prefixLength);                                 // (B, P)
        if (!prefix.eq(prefix.narrow(0, 0, 1)).all().item<bool>())
            throw new ArgumentException($"The rows of inputIds do not share their first {prefixLength} tokens.", nameof(inputIds));
        if (mask is not null && !mask.narrow(1, 0, prefixLength).ne(0).all().item<bool>())
            throw new ArgumentException($"attentionMask marks padding within the first {prefixLength} positions; the shared prefix must be real tokens (right padding).", nameof(attentionMask));
        using var cache = new KvCache(Config.NumHiddenLayers, keepGraph: true);
        var shared = HiddenStates(prefix.narrow(0, 0, 1), cache: cache);             // (1, P, H)
        cache.ExpandBatch(b);
        var rest = HiddenStates(ids.narrow(1, prefixLength, t - prefixLength), mask, cache: cache); // (B, T − P, H)
        return cat([shared.expand(b, -1, -1), rest], 1).MoveToOuterDisposeScope();   // (B, T, H)
    }

    /// <summary>
    /// Projects hidden states (…, hidden) to logits (…, vocab) with lm_head or the tied embedding, or to label scores
    /// (…, labels) with the <c>score</c> head of a sequence classifier.
    /// </summary>
    public Tensor Logits(Tensor hidden) =>
        _score is not null ? _score.call(hidden) : _lmHead is not null ? _lmHead.call(hidden) : nn.functional.linear(hidden, _model.Embedding.Weight);

    /// <summary>
    /// A sequence classifier's label scores (B, labels), read at each row's last real token as HF's
    /// <c>*ForSequenceClassification</c> pools; works with left or right padding.
    /// </summary>
    /// <param name="inputIds">Token ids (B, T), int64.</param>
    /// <param name="attentionMask">1 for real tokens, 0 for padding (B, T); null = no padding (the last position is pooled).</param>
    /// <exception cref="InvalidOperationException">The model has no classification head (its config has no num_labels).</exception>
    public Tensor SequenceLogits(Tensor inputIds, Tensor? attentionMask = null)
    {
        if (_score is null)
            throw new InvalidOperationException($"This {Config.Architecture} model is a causal LM; SequenceLogits needs a *ForSequenceClassification config (num_labels).");
        using var scope = NewDisposeScope();
        var hidden = HiddenStates(inputIds, attentionMask);                                     // (B, T, H)
        long b = hidden.shape[0], t = hidden.shape[1], h = hidden.shape[2];
        var last = attentionMask is null
            ? full(b, t - 1, dtype: int64, device: Device)                                      // (B,)
            : (arange(t, dtype: int64, device: Device).unsqueeze(0) * attentionMask.to(Device).to(int64)).argmax(-1); // (B,) last real position
        var pooled = hidden.gather(1, last.view(b, 1, 1).expand(b, 1, h)).squeeze(1);          // (B, H)
        return _score.call(pooled).MoveToOuterDisposeScope();                                   // (B, labels)
    }

    /// <summary>
    /// Applies the final norm (<c>model.norm</c>) to hidden states (B, T, hidden): with <see cref="Logits"/>, the logit lens
    /// that reads an intermediate layer as if it were the last.
    /// </summary>
    public Tensor FinalNorm(Tensor hidden) => _model.Norm.call(hidden);

    /// <summary>Every LoRA-capable projection (output heads excluded) with its HF path, e.g. ("model.layers.0.self_attn.q_proj", ...).</summary>
    public IEnumerable<(string Path, LoraLinear Linear)> Projections() =>
        named_modules().Where(m => m.module is LoraLinear && m.name is not ("lm_head" or "score")).Select(m => (m.name, (LoraLinear)m.module));

    /// <summary>
    /// Attaches a fresh LoRA adapter to the projections <paramref name="config"/> targets and freezes every
    /// base weight, so only the adapter trains.
    /// </summary>
    /// <exception cref="InvalidOperationException">An adapter is already attached.</exception>
    public void AttachLora(LoraConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (Lora is not null)
            throw new InvalidOperationException("A LoRA adapter is already attached; call MergeAndDetachLora or DetachLora first.");
        foreach (var p in parameters())
            p.requires_grad = false;
        var generator = new Generator((ulong)config.Seed);
        foreach (var (path, linear) in Projections())
        {
            if (config.TargetModules.Contains(path[(path.LastIndexOf('.') + 1)..]))
                linear.AttachLora(config.Rank, config.Alpha, config.Dropout, generator);
        }
        Lora = config;
    }

    /// <summary>Folds the attached adapter into the base weights and removes it (e.g. before a user adapter is stacked on top).</summary>
    public void MergeAndDetachLora() => ComputeThread.Run(() =>
    {
        // On a compute thread: the folds' matmuls would otherwise leave an OpenMP team on the caller's thread.
        foreach (var (_, linear) in Projections())
        {
            if (linear.LoraA is not null) // projections the adapter does not target have nothing to fold
                linear.MergeAndDetach();
        }
        Lora = null;
    });

    /// <summary>Removes the attached adapter without merging it; base weights stay frozen.</summary>
    public void DetachLora()
    {
        foreach (var (_, linear) in Projections())
            linear.DetachLora();
        Lora = null;
    }

    /// <summary>Enables or bypasses the attached adapter (a bypassed adapter gives the base model's outputs).</summary>
    public void SetAdapterEnabled(bool enabled)
    {
        foreach (var (_, linear) in Projections())
            linear.AdapterEnabled = enabled;
    }

    /// <summary>Parameters with <c>requires_grad</c>: the adapter when one is attached, else every weight.</summary>
    public IEnumerable<(string Name, TorchSharp.Modules.Parameter Parameter)> TrainableParameters() =>
        named_parameters().Where(p => p.parameter.requires_grad);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _rope.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>
    /// Loads only the trunk (<c>model.*</c>: embedding, layers, final norm) from a causal-LM or classifier folder,
    /// leaving the output head as it is: how a classifier starts from a pretrained LM.
    /// </summary>
    /// <exception cref="ModelLoadException">The folder lacks a trunk weight or holds one of another shape.</exception>
    public void LoadTrunkWeights(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        LoadWeights(checkpoint, folder, name => name.StartsWith(TrunkPrefix, StringComparison.Ordinal));
    }

    private const string TrunkPrefix = "model.";

    private void LoadWeights(SafetensorsCheckpoint checkpoint, string folder, Func<string, bool>? include = null)
    {
        include ??= _ => true;
        var expected = named_parameters().Where(p => include(p.name)).ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var missing = expected.Where(k => !checkpoint.Contains(k.Key)).Select(k => $"{k.Key} (expected [{string.Join(", ", k.Value.shape)}])").ToList();
        var unexpected = checkpoint.TensorNames.Where(k => include(k) && !expected.ContainsKey(k) && !IgnorableKey(k)).ToList();
        string files = string.Join(", ", checkpoint.Files.Select(f => Path.GetFileName(f.Path)));
        if (missing.Count > 0 || unexpected.Count > 0)
        {
            string kind = Config.IsSequenceClassifier ? $"{Config.Architecture} sequence classifier, {Config.NumLabels} labels" : Config.Architecture.ToString();
            throw new ModelLoadException($"'{folder}' ({files}) does not match its config ({kind}, {Config.NumHiddenLayers} layers, hidden {Config.HiddenSize}): " +
                $"missing [{string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", ..." : "")}], " +
                $"unexpected [{string.Join(", ", unexpected.Take(10))}{(unexpected.Count > 10 ? ", ..." : "")}].");
        }
        using var noGrad = no_grad();
        foreach (var (name, parameter) in expected)
        {
            var info = checkpoint.Info(name);
            if (!info.Shape.SequenceEqual(parameter.shape))
                throw new ModelLoadException($"'{folder}' ({files}): tensor '{name}' has shape [{string.Join(", ", info.Shape)}], the config implies [{string.Join(", ", parameter.shape)}].");
            checkpoint.ReadInto(name, parameter);
        }
    }

    // Old checkpoints store RoPE tables; tied checkpoints may still carry lm_head.
    private bool IgnorableKey(string key) =>
        key.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal) || (Config.TieWordEmbeddings && key == "lm_head.weight");

    internal Tensor DefaultPositions(Tensor? mask, long b, long t, long past)
    {
        if (mask is null)
            return arange(past, past + t, dtype: int64, device: Device).unsqueeze(0).expand(b, t);
        var positions = mask.to(int64).cumsum(-1) - 1;              // (B, S)
        positions = positions.masked_fill(mask.eq(0), 1);
        return positions.narrow(1, past, t);                        // (B, T)
    }

    // Null when plain causal attention is exact (no padding; T = S, or a single new token); else (B, 1, T, S) bool.
    private Tensor? AttentionMask(Tensor? mask, long t, long past)
    {
        bool padded = mask is not null && mask.eq(0).any().item<bool>();
        if (!padded && (past == 0 || t == 1))
            return null;
        long total = past + t;
        var query = arange(past, total, device: Device).unsqueeze(1);   // (T, 1) absolute positions
        var key = arange(total, device: Device).unsqueeze(0);           // (1, S)
        var allowed = key.le(query).unsqueeze(0);                        // (1, T, S) causal
        if (mask is not null)
            allowed = allowed.logical_and(mask.to(@bool).unsqueeze(1));  // (B, T, S) padding
        // A padded query row would otherwise see no key at all; letting it see itself keeps it finite.
        allowed = allowed.logical_or(key.eq(query).unsqueeze(0));
        return allowed.unsqueeze(1);                                     // (B, 1, T, S)
    }
}
