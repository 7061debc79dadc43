using System.Text.Json;
using System.Text.Json.Nodes;

namespace SafeAlign.Models;

/// <summary>The decoder families SafeAlign implements; they differ only by the flags on <see cref="ModelConfig"/>.</summary>
public enum ModelArchitecture
{
    /// <summary><c>LlamaForCausalLM</c>.</summary>
    Llama,

    /// <summary><c>MistralForCausalLM</c> (sliding window only when the sequence exceeds it).</summary>
    Mistral,

    /// <summary><c>Qwen2ForCausalLM</c>: q/k/v bias.</summary>
    Qwen2,

    /// <summary><c>Qwen3ForCausalLM</c>: per-head RMSNorm on q and k.</summary>
    Qwen3,
}

/// <summary>RoPE frequency scaling as <c>rope_scaling</c> (or transformers v5's <c>rope_parameters</c>) declares it.</summary>
/// <param name="Type">"default", "linear" or "llama3".</param>
/// <param name="Factor">Scaling factor (linear, llama3).</param>
/// <param name="LowFreqFactor">llama3 only.</param>
/// <param name="HighFreqFactor">llama3 only.</param>
/// <param name="OriginalMaxPositionEmbeddings">llama3 only.</param>
public sealed record RopeScaling(string Type, double Factor = 1, double LowFreqFactor = 1, double HighFreqFactor = 4, int OriginalMaxPositionEmbeddings = 8192);

/// <summary>
/// A Hugging Face <c>config.json</c> for a Llama-family causal LM, with derived fields computed and checked
/// in one place. Property names mirror the JSON keys; anything SafeAlign cannot compute faithfully is
/// rejected with a <see cref="ModelConfigException"/> rather than silently approximated.
/// </summary>
public sealed class ModelConfig
{
    /// <summary>Architecture family.</summary>
    public ModelArchitecture Architecture { get; init; } = ModelArchitecture.Llama;

    /// <summary><c>vocab_size</c>.</summary>
    public int VocabSize { get; init; }

    /// <summary><c>hidden_size</c>.</summary>
    public int HiddenSize { get; init; }

    /// <summary><c>intermediate_size</c> (MLP width).</summary>
    public int IntermediateSize { get; init; }

    /// <summary><c>num_hidden_layers</c>.</summary>
    public int NumHiddenLayers { get; init; }

    /// <summary><c>num_attention_heads</c>.</summary>
    public int NumAttentionHeads { get; init; }

    /// <summary><c>num_key_value_heads</c> (GQA/MQA); defaults to <see cref="NumAttentionHeads"/>.</summary>
    public int NumKeyValueHeads { get; init; }

    /// <summary><c>head_dim</c>; defaults to hidden_size / num_attention_heads.</summary>
    public int HeadDim { get; init; }

    /// <summary><c>rms_norm_eps</c>.</summary>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary><c>rope_theta</c>.</summary>
    public double RopeTheta { get; init; } = 10000;

    /// <summary><c>rope_scaling</c>; null for none.</summary>
    public RopeScaling? RopeScaling { get; init; }

    /// <summary><c>max_position_embeddings</c>.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary><c>tie_word_embeddings</c>: lm_head shares embed_tokens' weight.</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Bias on q/k/v (Qwen2 always; Llama/Qwen3 when <c>attention_bias</c>).</summary>
    public bool QkvBias { get; init; }

    /// <summary>Bias on o_proj (Llama/Qwen3 <c>attention_bias</c>).</summary>
    public bool OutputBias { get; init; }

    /// <summary>Bias on gate/up/down (Llama <c>mlp_bias</c>).</summary>
    public bool MlpBias { get; init; }

    /// <summary>Per-head RMSNorm on queries and keys before RoPE (Qwen3).</summary>
    public bool QkNorm { get; init; }

    /// <summary>Sliding-window length when active; sequences longer than it are refused.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary><c>bos_token_id</c>.</summary>
    public int? BosTokenId { get; init; }

    /// <summary><c>eos_token_id</c> (one or several).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary><c>pad_token_id</c>.</summary>
    public int? PadTokenId { get; init; }

    /// <summary><c>torch_dtype</c> (or v5 <c>dtype</c>) as written, e.g. "bfloat16"; null when absent.</summary>
    public string? TorchDtype { get; init; }

    /// <summary>
    /// Width of a sequence-classification head (<c>*ForSequenceClassification</c>: <c>num_labels</c>, or the size of
    /// <c>id2label</c>); null for a causal LM. When set, the model's output projection is <c>score</c> (hidden → labels,
    /// no bias) instead of <c>lm_head</c>, as in HF's <c>LlamaForSequenceClassification</c>.
    /// </summary>
    public int? NumLabels { get; init; }

    /// <summary>Label names by index (<c>id2label</c>); empty when the config gives none.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>
    /// <c>problem_type</c>: "single_label_classification", "multi_label_classification" (beaver-dam: one sigmoid per
    /// harm category) or "regression"; null when absent.
    /// </summary>
    public string? ProblemType { get; init; }

    /// <summary>Whether this config describes a sequence classifier (<see cref="NumLabels"/> is set).</summary>
    public bool IsSequenceClassifier => NumLabels is not null;

    /// <summary>Reads and validates <c>config.json</c> from a model folder or a file path.</summary>
    /// <exception cref="ModelConfigException">The file is not valid JSON, a field is missing or out of range, or the model is unsupported.</exception>
    public static ModelConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string file = Directory.Exists(path) ? Path.Combine(path, "config.json") : path;
        if (!File.Exists(file))
            throw new FileNotFoundException($"No config.json at '{file}'.", file);
        return Parse(File.ReadAllText(file), file);
    }

    /// <summary>Parses and validates config JSON; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="ModelConfigException">See <see cref="Load"/>.</exception>
    public static ModelConfig Parse(string json, string source = "config.json")
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new ModelConfigException(source, null, "expected a JSON object");
        }
        catch (JsonException e)
        {
            throw new ModelConfigException(source, null, $"not valid JSON ({e.Message})", e);
        }
        var reader = new ConfigReader(root, source);
        var (architecture, classifier) = ReadArchitecture(reader);
        var (numLabels, labels) = classifier ? ReadLabels(reader) : (null, []);
        int hidden = reader.Int("hidden_size", required: true, min: 1)!.Value;
        int heads = reader.Int("num_attention_heads", required: true, min: 1)!.Value;
        int kvHeads = reader.Int("num_key_value_heads", min: 1) ?? heads;
        if (heads % kvHeads != 0)
            throw new ModelConfigException(source, "num_key_value_heads", $"{kvHeads} does not divide num_attention_heads {heads}");
        int? headDim = reader.Int("head_dim", min: 1);
        if (headDim is null && hidden % heads != 0)
            throw new ModelConfigException(source, "hidden_size", $"{hidden} is not divisible by num_attention_heads {heads} and no head_dim is given");
        int dim = headDim ?? hidden / heads;
        if (dim % 2 != 0)
            throw new ModelConfigException(source, "head_dim", $"{dim} is odd; RoPE needs an even head dimension");

        string activation = reader.String("hidden_act") ?? "silu";
        if (activation != "silu")
            throw new ModelConfigException(source, "hidden_act", $"'{activation}' is not supported; expected silu");
        var rope = reader.Object("rope_parameters") ?? reader.Object("rope_scaling");
        double theta = reader.Double("rope_theta") ?? (rope is null ? null : new ConfigReader(rope, source, "rope_parameters").Double("rope_theta")) ?? 10000;
        bool attentionBias = reader.Bool("attention_bias") ?? false;
        int? window = architecture switch
        {
            ModelArchitecture.Mistral => reader.Int("sliding_window", min: 1),
            ModelArchitecture.Qwen2 or ModelArchitecture.Qwen3 when reader.Bool("use_sliding_window") == true => reader.Int("sliding_window", min: 1),
            _ => null,
        };

        return new ModelConfig
        {
            Architecture = architecture,
            VocabSize = reader.Int("vocab_size", required: true, min: 1)!.Value,
            HiddenSize = hidden,
            IntermediateSize = reader.Int("intermediate_size", required: true, min: 1)!.Value,
            NumHiddenLayers = reader.Int("num_hidden_layers", required: true, min: 1)!.Value,
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = dim,
            RmsNormEps = reader.Double("rms_norm_eps") ?? 1e-6,
            RopeTheta = theta,
            RopeScaling = rope is null ? null : ReadRopeScaling(new ConfigReader(rope, source, "rope_scaling")),
            MaxPositionEmbeddings = reader.Int("max_position_embeddings", min: 1) ?? 2048,
            TieWordEmbeddings = reader.Bool("tie_word_embeddings") ?? false,
            QkvBias = architecture == ModelArchitecture.Qwen2 || attentionBias,
            OutputBias = architecture != ModelArchitecture.Qwen2 && attentionBias,
            MlpBias = reader.Bool("mlp_bias") ?? false,
            QkNorm = architecture == ModelArchitecture.Qwen3,
            SlidingWindow = window,
            BosTokenId = reader.Int("bos_token_id", min: 0),
            EosTokenIds = reader.IntOrInts("eos_token_id"),
            PadTokenId = reader.Int("pad_token_id", min: 0),
            TorchDtype = reader.String("torch_dtype") ?? reader.String("dtype"),
            NumLabels = numLabels,
            Labels = labels,
            ProblemType = classifier ? reader.String("problem_type") : null,
        };
    }

    /// <summary>
    /// A copy of this config with a sequence-classification head of <paramref name="numLabels"/> outputs (or, with
    /// null, as a causal LM): how a classifier is built on a causal LM's trunk.
    /// </summary>
    /// <exception cref="ArgumentException">The label names do not match <paramref name="numLabels"/>.</exception>
    public ModelConfig WithHead(int? numLabels, IReadOnlyList<string>? labels = null, string? problemType = null)
    {
        if (numLabels < 1)
            throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A classification head needs at least one label.");
        labels ??= [];
        if (labels.Count != 0 && labels.Count != numLabels)
            throw new ArgumentException($"{labels.Count} label names for {numLabels} labels.", nameof(labels));
        return new ModelConfig
        {
            Architecture = Architecture, VocabSize = VocabSize, HiddenSize = HiddenSize, IntermediateSize = IntermediateSize,
            NumHiddenLayers = NumHiddenLayers, NumAttentionHeads = NumAttentionHeads, NumKeyValueHeads = NumKeyValueHeads, HeadDim = HeadDim,
            RmsNormEps = RmsNormEps, RopeTheta = RopeTheta, RopeScaling = RopeScaling, MaxPositionEmbeddings = MaxPositionEmbeddings,
            TieWordEmbeddings = TieWordEmbeddings, QkvBias = QkvBias, OutputBias = OutputBias, MlpBias = MlpBias, QkNorm = QkNorm,
            SlidingWindow = SlidingWindow, BosTokenId = BosTokenId, EosTokenIds = EosTokenIds, PadTokenId = PadTokenId, TorchDtype = TorchDtype,
            NumLabels = numLabels, Labels = numLabels is null ? [] : labels, ProblemType = numLabels is null ? null : problemType,
        }.Validate();
    }

    /// <summary>This config as a Hugging Face <c>config.json</c> (what <see cref="Parse"/> reads back).</summary>
    public string ToJson()
    {
        var (family, modelType) = Architecture switch
        {
            ModelArchitecture.Mistral => ("Mistral", "mistral"),
            ModelArchitecture.Qwen2 => ("Qwen2", "qwen2"),
            ModelArchitecture.Qwen3 => ("Qwen3", "qwen3"),
            _ => ("Llama", "llama"),
        };
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray(family + (IsSequenceClassifier ? SequenceClassificationSuffix : CausalLMSuffix)),
            ["model_type"] = modelType,
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_dim"] = HeadDim,
            ["hidden_act"] = "silu",
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["torch_dtype"] = TorchDtype ?? "float32",
        };
        if (RopeScaling is { } rope)
        {
            json["rope_scaling"] = rope.Type == "linear"
                ? new JsonObject { ["rope_type"] = "linear", ["factor"] = rope.Factor }
                : new JsonObject { ["rope_type"] = rope.Type, ["factor"] = rope.Factor, ["low_freq_factor"] = rope.LowFreqFactor, ["high_freq_factor"] = rope.HighFreqFactor, ["original_max_position_embeddings"] = rope.OriginalMaxPositionEmbeddings };
        }
        if (Architecture is ModelArchitecture.Llama or ModelArchitecture.Qwen3)
            json["attention_bias"] = QkvBias;
        if (Architecture == ModelArchitecture.Llama)
            json["mlp_bias"] = MlpBias;
        if (SlidingWindow is int window)
        {
            json["sliding_window"] = window;
            if (Architecture is ModelArchitecture.Qwen2 or ModelArchitecture.Qwen3)
                json["use_sliding_window"] = true;
        }
        if (BosTokenId is int bos)
            json["bos_token_id"] = bos;
        if (EosTokenIds.Count == 1)
            json["eos_token_id"] = EosTokenIds[0];
        else if (EosTokenIds.Count > 1)
            json["eos_token_id"] = new JsonArray(EosTokenIds.Select(e => (JsonNode)e).ToArray());
        if (PadTokenId is int pad)
            json["pad_token_id"] = pad;
        if (NumLabels is int numLabels)
        {
            var names = Enumerable.Range(0, numLabels).Select(i => Labels.Count == numLabels ? Labels[i] : "LABEL_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            json["num_labels"] = numLabels;
            json["id2label"] = new JsonObject(names.Select((n, i) => KeyValuePair.Create(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (JsonNode?)n)));
            json["label2id"] = new JsonObject(names.Select((n, i) => KeyValuePair.Create(n, (JsonNode?)i)));
            if (ProblemType is not null)
                json["problem_type"] = ProblemType;
        }
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// A config built in code (e.g. the tiny model trained on the embedded world), checked like a parsed one.
    /// </summary>
    /// <exception cref="ModelConfigException">A field is out of range.</exception>
    public ModelConfig Validate()
    {
        void Positive(int value, string field)
        {
            if (value < 1)
                throw new ModelConfigException("ModelConfig", field, $"{value}; expected a positive integer");
        }
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(NumKeyValueHeads, "num_key_value_heads");
        Positive(HeadDim, "head_dim");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new ModelConfigException("ModelConfig", "num_key_value_heads", $"{NumKeyValueHeads} does not divide num_attention_heads {NumAttentionHeads}");
        if (HeadDim % 2 != 0)
            throw new ModelConfigException("ModelConfig", "head_dim", $"{HeadDim} is odd; RoPE needs an even head dimension");
        if (NumLabels is int labels)
        {
            Positive(labels, "num_labels");
            if (Labels.Count != 0 && Labels.Count != labels)
                throw new ModelConfigException("ModelConfig", "id2label", $"{Labels.Count} names for num_labels {labels}");
        }
        return this;
    }

    private const string CausalLMSuffix = "ForCausalLM";
    private const string SequenceClassificationSuffix = "ForSequenceClassification";

    private static (ModelArchitecture Architecture, bool Classifier) ReadArchitecture(ConfigReader reader)
    {
        string? name = reader.FirstString("architectures");
        string? modelType = reader.String("model_type");
        bool classifier = name?.EndsWith(SequenceClassificationSuffix, StringComparison.Ordinal) == true;
        string? family = name is null ? null : classifier ? name[..^SequenceClassificationSuffix.Length] : name.EndsWith(CausalLMSuffix, StringComparison.Ordinal) ? name[..^CausalLMSuffix.Length] : name;
        var architecture = (family, modelType) switch
        {
            ("Llama", _) or (null, "llama") => ModelArchitecture.Llama,
            ("Mistral", _) or (null, "mistral") => ModelArchitecture.Mistral,
            ("Qwen2", _) or (null, "qwen2") => ModelArchitecture.Qwen2,
            ("Qwen3", _) or (null, "qwen3") => ModelArchitecture.Qwen3,
            _ => throw new ModelConfigException(reader.Source, "architectures",
                $"'{name ?? modelType ?? "(none)"}' is not supported; expected LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM or Qwen3ForCausalLM, or the same families' *ForSequenceClassification"),
        };
        return (architecture, classifier);
    }

    // HF: num_labels when given, else the size of id2label, else 2 (PretrainedConfig's default).
    private static (int? NumLabels, IReadOnlyList<string> Labels) ReadLabels(ConfigReader reader)
    {
        int? numLabels = reader.Int("num_labels", min: 1);
        var id2label = reader.Object("id2label");
        if (id2label is null)
            return (numLabels ?? 2, []);
        var names = new string[id2label.Count];
        foreach (var (key, value) in id2label)
        {
            if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index) || index >= names.Length || names[index] is not null)
                throw new ModelConfigException(reader.Source, "id2label", $"key '{key}'; expected the indices 0..{names.Length - 1}, each once");
            names[index] = value is JsonValue v && v.TryGetValue(out string? label) ? label : throw new ModelConfigException(reader.Source, $"id2label.{key}", $"{value?.ToJsonString() ?? "null"}; expected a string");
        }
        if (numLabels is int n && n != names.Length)
            throw new ModelConfigException(reader.Source, "num_labels", $"{n}, but id2label has {names.Length} entries");
        return (names.Length, names);
    }

    private static RopeScaling? ReadRopeScaling(ConfigReader rope)
    {
        string type = rope.String("rope_type") ?? rope.String("type") ?? "default";
        return type switch
        {
            "default" => null,
            "linear" => new RopeScaling(type, Factor: rope.Double("factor") ?? throw rope.Missing("factor")),
            "llama3" => new RopeScaling(type,
                Factor: rope.Double("factor") ?? throw rope.Missing("factor"),
                LowFreqFactor: rope.Double("low_freq_factor") ?? throw rope.Missing("low_freq_factor"),
                HighFreqFactor: rope.Double("high_freq_factor") ?? throw rope.Missing("high_freq_factor"),
                OriginalMaxPositionEmbeddings: rope.Int("original_max_position_embeddings", min: 1) ?? throw rope.Missing("original_max_position_embeddings")),
            _ => throw new ModelConfigException(rope.Source, rope.Prefix + ".rope_type", $"'{type}' is not supported; expected default, linear or llama3"),
        };
    }

    /// <summary>Typed reads from a JSON object, each failure naming the file and field.</summary>
    private sealed class ConfigReader(JsonObject node, string source, string prefix = "")
    {
        public string Source => source;
        public string Prefix => prefix;

        public ModelConfigException Missing(string field) => new(source, Name(field), "required field is missing");

        public JsonObject? Object(string field) => node[field] switch
        {
            null => null,
            JsonObject o => o,
            var other => throw Wrong(field, other, "an object or null"),
        };

        public string? String(string field) => node[field] switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out string? s) => s,
            var other => throw Wrong(field, other, "a string"),
        };

        public string? FirstString(string field) => node[field] switch
        {
            null => null,
            JsonArray { Count: > 0 } a when a[0] is JsonValue v && v.TryGetValue(out string? s) => s,
            var other => throw Wrong(field, other, "an array of strings"),
        };

        public bool? Bool(string field) => node[field] switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out bool b) => b,
            var other => throw Wrong(field, other, "true or false"),
        };

        public double? Double(string field) => node[field] switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out double d) && double.IsFinite(d) => d,
            var other => throw Wrong(field, other, "a number"),
        };

        public int? Int(string field, bool required = false, int min = int.MinValue)
        {
            int? value = node[field] switch
            {
                null => null,
                JsonValue v when v.TryGetValue(out int i) => i,
                JsonValue v when v.TryGetValue(out double d) && d == Math.Floor(d) && d >= int.MinValue && d <= int.MaxValue => (int)d,
                var other => throw Wrong(field, other, "an integer"),
            };
            if (value is null && required)
                throw Missing(field);
            if (value < min)
                throw new ModelConfigException(source, Name(field), $"{value}; expected at least {min}");
            return value;
        }

        public IReadOnlyList<int> IntOrInts(string field) => node[field] switch
        {
            null => [],
            JsonArray a => a.Select((_, i) => new ConfigReader(new JsonObject { ["v"] = a[i]?.DeepClone() }, source).Int("v", required: true, min: 0)!.Value).ToList(),
            _ => [Int(field, min: 0)!.Value],
        };

        private string Name(string field) => prefix.Length == 0 ? field : prefix + "." + field;

        private ModelConfigException Wrong(string field, JsonNode? found, string expected) =>
            new(source, Name(field), $"{found?.ToJsonString() ?? "null"}; expected {expected}");
    }
}
