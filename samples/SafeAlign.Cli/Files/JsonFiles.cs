using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SafeAlign.Cli.Files;

/// <summary>Writes the tool's JSON and JSON Lines outputs atomically (a temp file beside the target, then a rename).</summary>
public static class JsonFiles
{
    /// <summary>Indented, with non-ASCII text left readable.</summary>
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One line per value, as JSON Lines needs.</summary>
    public static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <paramref name="node"/> to <paramref name="path"/>, indented, atomically.</summary>
    public static void Write(string path, JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        WriteAtomically(path, writer => writer.Write(node.ToJsonString(Indented) + "\n"));
    }

    /// <summary>Writes one compact JSON object per line to <paramref name="path"/>, atomically.</summary>
    /// <returns>How many lines were written.</returns>
    public static int WriteLines(string path, IEnumerable<JsonNode> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int count = 0;
        WriteAtomically(path, writer =>
        {
            foreach (var row in rows)
            {
                writer.Write(row.ToJsonString(Compact));
                writer.Write('\n');
                count++;
            }
        });
        return count;
    }

    /// <summary>Runs <paramref name="write"/> on a temp file beside <paramref name="path"/>, then renames it over the target.</summary>
    public static void WriteAtomically(string path, Action<TextWriter> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var writer = new StreamWriter(temp, append: false, new UTF8Encoding(false)))
                write(writer);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    /// <summary>How records become JSON: snake_case names, NaN and infinities as null, enums as names.</summary>
    public static readonly JsonSerializerOptions Records = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new FiniteDoubleConverter(), new FiniteFloatConverter(), new JsonStringEnumConverter() },
    };

    /// <summary><paramref name="value"/> (a record, a list, a number) as a JSON node in the <see cref="Records"/> shape.</summary>
    public static JsonNode? ToNode<T>(T value) => JsonSerializer.SerializeToNode(value, Records);

    /// <summary>A JSON number, or null for NaN and infinities (which JSON cannot hold).</summary>
    public static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    /// <summary>A JSON array of numbers, NaN and infinities as null.</summary>
    public static JsonArray Numbers(IEnumerable<double> values) => new([.. values.Select(Number)]);

    /// <summary>A JSON array of integers.</summary>
    public static JsonArray Integers(IEnumerable<int> values) => new([.. values.Select(v => (JsonNode)v)]);

    /// <summary>A JSON array of strings.</summary>
    public static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);

    private sealed class FiniteDoubleConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value))
                writer.WriteNumberValue(value);
            else
                writer.WriteNullValue();
        }
    }

    private sealed class FiniteFloatConverter : JsonConverter<float>
    {
        public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? float.NaN : reader.GetSingle();

        public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options)
        {
            if (float.IsFinite(value))
                writer.WriteNumberValue(value);
            else
                writer.WriteNullValue();
        }
    }
}
