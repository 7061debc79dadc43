using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SafeAlign.Models.Safetensors;
using SafeAlign.Tokenization;
using TorchSharp;

namespace SafeAlign.Scoring;

/// <summary>
/// Which response tokens of a tokenised data set a scorer discards (their labels become −100; the ids stay as context),
/// tied to that exact tokenisation: per sample it keeps the length, the number of response tokens and a 64-bit
/// fingerprint of the ids and the response span, and refuses data that differ (<see cref="TokenMaskMismatchException"/>).
/// Saved as JSON lines (readable) or safetensors (compact), so scoring and fine-tuning can run as separate jobs.
/// </summary>
public sealed class TokenMask
{
    /// <summary>The <c>format</c> value a saved mask carries.</summary>
    public const string FormatName = "safealign-token-mask";

    /// <summary>The format version written and read.</summary>
    public const int FormatVersion = 1;

    private readonly int[] _lengths;
    private readonly int[] _responseTokens;
    private readonly ulong[] _fingerprints;
    private readonly int[][] _discarded;

    private TokenMask(string scorer, int[] lengths, int[] responseTokens, ulong[] fingerprints, int[][] discarded)
    {
        Scorer = scorer;
        (_lengths, _responseTokens, _fingerprints, _discarded) = (lengths, responseTokens, fingerprints, discarded);
        DiscardedTokens = discarded.Sum(d => (long)d.Length);
        ResponseTokens = responseTokens.Sum(r => (long)r);
    }

    /// <summary>The scorer that made the mask (e.g. "toss").</summary>
    public string Scorer { get; }

    /// <summary>Samples the mask covers.</summary>
    public int Count => _lengths.Length;

    /// <summary>Discarded tokens over all samples.</summary>
    public long DiscardedTokens { get; }

    /// <summary>Response (labelled) tokens over all samples.</summary>
    public long ResponseTokens { get; }

    /// <summary>Discarded positions of sample <paramref name="sample"/>, ascending.</summary>
    public IReadOnlyList<int> Discarded(int sample) => _discarded[sample];

    /// <summary>Response tokens of sample <paramref name="sample"/> before masking.</summary>
    public int ResponseTokensOf(int sample) => _responseTokens[sample];

    /// <summary>
    /// Creates the mask of <paramref name="data"/> that discards, per sample, the given positions (any order).
    /// </summary>
    /// <param name="data">The unmasked tokenised data.</param>
    /// <param name="discarded">Per sample, the positions to discard; each must be a response token (label ≠ −100).</param>
    /// <param name="scorer">The scorer's name, kept for reports.</param>
    /// <exception cref="ArgumentException">Counts differ, or a position is out of range, repeated or not a response token.</exception>
    public static TokenMask Create(IReadOnlyList<TokenizedExample> data, IReadOnlyList<IReadOnlyList<int>> discarded, string scorer)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(discarded);
        ArgumentException.ThrowIfNullOrWhiteSpace(scorer);
        if (discarded.Count != data.Count)
            throw new ArgumentException($"discarded has {discarded.Count} entries; the data has {data.Count} samples.", nameof(discarded));
        var lengths = new int[data.Count];
        var responses = new int[data.Count];
        var fingerprints = new ulong[data.Count];
        var positions = new int[data.Count][];
        for (int i = 0; i < data.Count; i++)
        {
            var example = data[i] ?? throw new ArgumentException($"Sample {i} is null.", nameof(data));
            (lengths[i], responses[i], fingerprints[i]) = (example.Length, CountResponse(example), Fingerprint(example));
            positions[i] = (discarded[i] ?? throw new ArgumentException($"discarded[{i}] is null.", nameof(discarded))).Order().ToArray();
            for (int k = 0; k < positions[i].Length; k++)
            {
                int p = positions[i][k];
                if (p < 0 || p >= example.Length)
                    throw new ArgumentException($"Sample {i}: position {p} is outside its {example.Length} tokens.", nameof(discarded));
                if (example.Labels[p] == TokenizedExample.IgnoreIndex)
                    throw new ArgumentException($"Sample {i}: position {p} is not a response token (its label is -100); only response tokens can be discarded.", nameof(discarded));
                if (k > 0 && positions[i][k - 1] == p)
                    throw new ArgumentException($"Sample {i}: position {p} is listed twice.", nameof(discarded));
            }
        }
        return new TokenMask(scorer, lengths, responses, fingerprints, positions);
    }

    /// <summary>Throws unless <paramref name="data"/> is the data the mask was made for (same samples, ids and response spans).</summary>
    /// <exception cref="TokenMaskMismatchException">The data differ; the message names the first differing sample.</exception>
    public void Check(IReadOnlyList<TokenizedExample> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count != Count)
            throw new TokenMaskMismatchException(null, $"the mask covers {Count} samples; the data has {data.Count}.");
        for (int i = 0; i < data.Count; i++)
        {
            var example = data[i] ?? throw new TokenMaskMismatchException(i, "the sample is null.");
            if (example.Length != _lengths[i])
                throw new TokenMaskMismatchException(i, $"the mask was made for {_lengths[i]} tokens; the sample has {example.Length} (tokenised differently?).");
            int responses = CountResponse(example);
            if (responses != _responseTokens[i])
                throw new TokenMaskMismatchException(i, $"the mask was made for {_responseTokens[i]} response tokens; the sample has {responses} (another template, or data that were already masked?).");
            ulong fingerprint = Fingerprint(example);
            if (fingerprint != _fingerprints[i])
                throw new TokenMaskMismatchException(i, $"its token ids or response span differ from those the mask was made for (fingerprint {fingerprint:x16}, expected {_fingerprints[i]:x16}): the data were tokenised differently or reordered.");
        }
    }

    /// <summary>
    /// The data with every discarded token's label set to −100 (ids unchanged, so discarded tokens stay in the input
    /// as context); new examples, the input is not modified.
    /// </summary>
    /// <exception cref="TokenMaskMismatchException">The data are not those the mask was made for.</exception>
    public List<TokenizedExample> Apply(IReadOnlyList<TokenizedExample> data)
    {
        Check(data);
        var masked = new List<TokenizedExample>(data.Count);
        for (int i = 0; i < data.Count; i++)
        {
            int[] labels = (int[])data[i].Labels.Clone();
            foreach (int p in _discarded[i])
                labels[p] = TokenizedExample.IgnoreIndex;
            masked.Add(new TokenizedExample(data[i].InputIds, labels));
        }
        return masked;
    }

    /// <summary>
    /// Writes the mask to <paramref name="path"/> atomically (temp file, then rename): safetensors when the name ends in
    /// <c>.safetensors</c>, else JSON lines (a header line, then one line per sample).
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        if (IsSafetensors(full))
        {
            SaveSafetensors(full);
            return;
        }
        string temp = full + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var writer = new StreamWriter(temp, append: false, new UTF8Encoding(false)))
            {
                writer.Write(new JsonObject
                {
                    ["format"] = FormatName, ["version"] = FormatVersion, ["scorer"] = Scorer, ["samples"] = Count,
                    ["response_tokens"] = ResponseTokens, ["discarded_tokens"] = DiscardedTokens,
                }.ToJsonString());
                writer.Write('\n');
                for (int i = 0; i < Count; i++)
                {
                    writer.Write(new JsonObject
                    {
                        ["sample"] = i, ["length"] = _lengths[i], ["response_tokens"] = _responseTokens[i],
                        ["fingerprint"] = _fingerprints[i].ToString("x16", CultureInfo.InvariantCulture),
                        ["discarded"] = new JsonArray(_discarded[i].Select(p => (JsonNode)p).ToArray()),
                    }.ToJsonString());
                    writer.Write('\n');
                }
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Reads a mask written by <see cref="Save"/> (format chosen by the extension, as there).</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="TokenMaskFormatException">The file is malformed; the message names the line or tensor.</exception>
    public static TokenMask Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No token mask at '{path}'.", path);
        return IsSafetensors(path) ? LoadSafetensors(path) : LoadJsonl(path);
    }

    /// <summary>FNV-1a (64 bit) over each token id and whether it is a response token: what ties a mask to one tokenisation.</summary>
    public static ulong Fingerprint(TokenizedExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        ulong hash = 14695981039346656037UL;
        for (int t = 0; t < example.Length; t++)
        {
            uint word = (uint)example.InputIds[t];
            for (int b = 0; b < 4; b++, word >>= 8)
                hash = (hash ^ (word & 0xFF)) * 1099511628211UL;
            hash = (hash ^ (example.Labels[t] == TokenizedExample.IgnoreIndex ? 0UL : 1UL)) * 1099511628211UL;
        }
        return hash;
    }

    private static int CountResponse(TokenizedExample example) => example.Labels.Count(l => l != TokenizedExample.IgnoreIndex);

    private static bool IsSafetensors(string path) => path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);

    private void SaveSafetensors(string path)
    {
        using var scope = torch.NewDisposeScope();
        var offsets = new long[Count + 1];
        for (int i = 0; i < Count; i++)
            offsets[i + 1] = offsets[i] + _discarded[i].Length;
        var tensors = new Dictionary<string, torch.Tensor>
        {
            ["lengths"] = torch.tensor(_lengths),
            ["response_tokens"] = torch.tensor(_responseTokens),
            ["fingerprints"] = torch.tensor(_fingerprints.Select(f => unchecked((long)f)).ToArray()),
            ["discarded_offsets"] = torch.tensor(offsets),
            ["discarded_positions"] = torch.tensor(_discarded.SelectMany(d => d).ToArray(), [DiscardedTokens]),
        };
        SafetensorsWriter.Save(path, tensors, new Dictionary<string, string>
        {
            ["format"] = FormatName, ["version"] = FormatVersion.ToString(CultureInfo.InvariantCulture), ["scorer"] = Scorer,
        });
    }

    private static TokenMask LoadSafetensors(string path)
    {
        using var file = SafetensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("format", out string? format) || format != FormatName)
            throw new TokenMaskFormatException(path, null, $"metadata 'format' is '{format}'; expected '{FormatName}'.");
        if (!file.Metadata.TryGetValue("version", out string? version) || version != FormatVersion.ToString(CultureInfo.InvariantCulture))
            throw new TokenMaskFormatException(path, null, $"metadata 'version' is '{version}'; this build reads version {FormatVersion}.");
        string scorer = file.Metadata.TryGetValue("scorer", out string? s) && !string.IsNullOrWhiteSpace(s) ? s : throw new TokenMaskFormatException(path, null, "metadata 'scorer' is missing.");
        T[] Read<T>(string name, torch.ScalarType dtype) where T : unmanaged
        {
            if (!file.Contains(name))
                throw new TokenMaskFormatException(path, name, "the tensor is missing.");
            if (file[name].ScalarType != dtype || file[name].Shape.Length != 1)
                throw new TokenMaskFormatException(path, name, $"expected a 1-D {dtype} tensor; found {file[name].ScalarType} [{string.Join(", ", file[name].Shape)}].");
            using var tensor = file.ReadTensor(name);
            return tensor.data<T>().ToArray();
        }
        int[] lengths = Read<int>("lengths", torch.ScalarType.Int32);
        int[] responses = Read<int>("response_tokens", torch.ScalarType.Int32);
        ulong[] fingerprints = Read<long>("fingerprints", torch.ScalarType.Int64).Select(f => unchecked((ulong)f)).ToArray();
        long[] offsets = Read<long>("discarded_offsets", torch.ScalarType.Int64);
        int[] positions = Read<int>("discarded_positions", torch.ScalarType.Int32);
        int n = lengths.Length;
        if (responses.Length != n || fingerprints.Length != n || offsets.Length != n + 1)
            throw new TokenMaskFormatException(path, null, $"lengths has {n} entries, response_tokens {responses.Length}, fingerprints {fingerprints.Length}, discarded_offsets {offsets.Length} (expected {n}, {n}, {n + 1}).");
        if (offsets[0] != 0 || offsets[n] != positions.Length || offsets.Zip(offsets.Skip(1)).Any(p => p.Second < p.First))
            throw new TokenMaskFormatException(path, "discarded_offsets", $"expected a non-decreasing run from 0 to {positions.Length}.");
        var discarded = new int[n][];
        for (int i = 0; i < n; i++)
        {
            discarded[i] = positions.AsSpan((int)offsets[i], (int)(offsets[i + 1] - offsets[i])).ToArray();
            CheckSample(path, $"sample {i}", lengths[i], responses[i], discarded[i]);
        }
        return new TokenMask(scorer, lengths, responses, fingerprints, discarded);
    }

    private static TokenMask LoadJsonl(string path)
    {
        string[] lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        if (lines.Length == 0)
            throw new TokenMaskFormatException(path, null, "the file is empty; expected a header line.");
        JsonObject Parse(int line)
        {
            try
            {
                return JsonNode.Parse(lines[line]) as JsonObject ?? throw new TokenMaskFormatException(path, $"line {line + 1}", "expected a JSON object.");
            }
            catch (JsonException e)
            {
                throw new TokenMaskFormatException(path, $"line {line + 1}", $"not valid JSON ({e.Message}).", e);
            }
        }
        T Field<T>(JsonObject o, string name, int line) =>
            o[name] is JsonValue v && v.TryGetValue(out T? value) ? value : throw new TokenMaskFormatException(path, $"line {line + 1}", $"field '{name}' is missing or not a {typeof(T).Name}.");

        var header = Parse(0);
        if (header["format"]?.GetValue<string>() != FormatName)
            throw new TokenMaskFormatException(path, "line 1", $"'format' is {header["format"]?.ToJsonString() ?? "missing"}; expected \"{FormatName}\".");
        if (Field<int>(header, "version", 0) != FormatVersion)
            throw new TokenMaskFormatException(path, "line 1", $"'version' is {header["version"]}; this build reads version {FormatVersion}.");
        string scorer = Field<string>(header, "scorer", 0);
        int n = Field<int>(header, "samples", 0);
        if (n < 0 || lines.Length - 1 != n)
            throw new TokenMaskFormatException(path, null, $"the header announces {n} samples; the file has {lines.Length - 1} sample lines.");
        var lengths = new int[n];
        var responses = new int[n];
        var fingerprints = new ulong[n];
        var discarded = new int[n][];
        for (int i = 0; i < n; i++)
        {
            var o = Parse(i + 1);
            string where = $"line {i + 2}";
            if (Field<int>(o, "sample", i + 1) != i)
                throw new TokenMaskFormatException(path, where, $"'sample' is {o["sample"]}; expected {i} (samples in order).");
            lengths[i] = Field<int>(o, "length", i + 1);
            responses[i] = Field<int>(o, "response_tokens", i + 1);
            if (!ulong.TryParse(Field<string>(o, "fingerprint", i + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out fingerprints[i]))
                throw new TokenMaskFormatException(path, where, $"'fingerprint' is {o["fingerprint"]}; expected 16 hex digits.");
            if (o["discarded"] is not JsonArray array)
                throw new TokenMaskFormatException(path, where, "'discarded' is missing or not an array.");
            discarded[i] = array.Select(p => p is JsonValue v && v.TryGetValue(out int value) ? value : throw new TokenMaskFormatException(path, where, $"'discarded' holds {p?.ToJsonString() ?? "null"}; expected integers.")).ToArray();
            CheckSample(path, where, lengths[i], responses[i], discarded[i]);
        }
        return new TokenMask(scorer, lengths, responses, fingerprints, discarded);
    }

    private static void CheckSample(string path, string where, int length, int responses, int[] discarded)
    {
        if (length < 1 || responses < 0 || responses > length)
            throw new TokenMaskFormatException(path, where, $"length {length} and response_tokens {responses} are inconsistent.");
        if (discarded.Length > responses)
            throw new TokenMaskFormatException(path, where, $"{discarded.Length} discarded positions for {responses} response tokens.");
        for (int k = 0; k < discarded.Length; k++)
        {
            if (discarded[k] < 0 || discarded[k] >= length || (k > 0 && discarded[k] <= discarded[k - 1]))
                throw new TokenMaskFormatException(path, where, $"discarded positions must be ascending, distinct and within [0, {length}); found {discarded[k]} at index {k}.");
        }
    }
}
