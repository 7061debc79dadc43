using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SafeAlign.Cli.Hosting;

/// <summary>
/// Reads a settings file (JSON, comments and trailing commas allowed) into <see cref="CliSettings"/>: a JSON object merges into
/// the options object of the same name, any other value (number, string, list) replaces the property. An unknown key is an
/// error naming its path, so a typo never silently leaves a default in place.
/// </summary>
public static class SettingsFile
{
    private static readonly JsonSerializerOptions ValueOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>Loads <paramref name="path"/> over the defaults.</summary>
    /// <exception cref="InputFileException">The file is missing, not JSON, has an unknown key or a value of the wrong type.</exception>
    public static CliSettings Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new InputFileException(path, "settings file not found");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InputFileException(path, $"not valid JSON: {e.Message}", e);
        }
        if (root is not JsonObject obj)
            throw new InputFileException(path, "expected a JSON object such as {\"SafeAlign\": {\"Sft\": {\"Epochs\": 1}}}");
        var settings = new CliSettings();
        Bind(settings, obj, "", path);
        return settings;
    }

    /// <summary>Merges <paramref name="json"/> into <paramref name="target"/> (see the class summary).</summary>
    /// <exception cref="InputFileException">An unknown key or a value of the wrong type; the message names its path.</exception>
    public static void Bind(object target, JsonObject json, string prefix, string file)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(json);
        foreach (var (key, value) in json)
        {
            string path = prefix + key;
            var property = target.GetType().GetProperty(key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)
                ?? throw new InputFileException(file, $"'{path}' is not a setting; expected one of {string.Join(", ", Settable(target.GetType()))}");
            if (value is JsonObject nested && IsOptionsClass(property.PropertyType) && property.GetValue(target) is { } existing)
            {
                Bind(existing, nested, path + ".", file);
                continue;
            }
            if (!property.CanWrite)
                throw new InputFileException(file, $"'{path}' cannot be set");
            if (value is null && property.PropertyType.IsValueType && Nullable.GetUnderlyingType(property.PropertyType) is null)
                throw new InputFileException(file, $"'{path}' is null; expected a {Describe(property.PropertyType)}");
            try
            {
                property.SetValue(target, value?.Deserialize(property.PropertyType, ValueOptions));
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
            {
                throw new InputFileException(file, $"'{path}' has the value {value?.ToJsonString() ?? "null"}, which is not a {Describe(property.PropertyType)}", e);
            }
        }
    }

    private static bool IsOptionsClass(Type type) => type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type);

    private static IEnumerable<string> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite || IsOptionsClass(p.PropertyType)).Select(p => p.Name);

    private static string Describe(Type type)
    {
        var inner = Nullable.GetUnderlyingType(type) ?? type;
        return inner.IsEnum ? $"{inner.Name} ({string.Join(", ", Enum.GetNames(inner))})" : inner.Name;
    }
}
