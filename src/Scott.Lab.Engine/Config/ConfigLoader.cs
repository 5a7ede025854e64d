using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Scott.Lab.Engine.Config;

/// <summary>
/// Reads YAML run configs into a JSON tree, applies <c>--set a.b=c</c> overrides and writes trees back as YAML.
/// Binding a tree to a <see cref="RunSpec"/> is <see cref="RunSpecBinder"/>'s alone. Keys are snake_case; unknown
/// keys are errors, so a typo never silently falls back to a default.
/// </summary>
public static class ConfigLoader
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static JsonObject LoadTree(string path, IEnumerable<string>? overrides = null)
    {
        if (!File.Exists(path)) throw new ConfigException($"config file not found: {Path.GetFullPath(path)}");
        var tree = ParseYaml(File.ReadAllText(path), path) as JsonObject
                   ?? throw new ConfigException($"{path}: the top level must be a mapping (dataset:, tokenizer:, objective:, model:, optimizer:, trainer:)");
        // Plugin switches go first (a stable sort), so that options given with --set survive in any order.
        foreach (var assignment in (overrides ?? []).OrderBy(a => PluginSwitched(a) is null ? 1 : 0))
        {
            if (PluginSwitched(assignment) is { } section && tree[section] is JsonObject selection &&
                selection["id"]?.ToString() is { } current && current != ParseYaml(assignment[(assignment.IndexOf('=') + 1)..], assignment)?.ToString())
                selection.Remove("options"); // the preset's options belong to the plugin being replaced
            ApplyOverride(tree, assignment);
        }
        return tree;
    }

    /// <summary>The section (dataset, tokenizer, objective) whose plugin <c>--set section.id=...</c> chooses, else null.</summary>
    private static string? PluginSwitched(string assignment)
    {
        int eq = assignment.IndexOf('=');
        string key = eq > 0 ? assignment[..eq].Trim() : "";
        return key is "dataset.id" or "tokenizer.id" or "objective.id" ? key[..key.IndexOf('.')] : null;
    }

    /// <summary>A config tree from YAML text (e.g. a stored run's resolved spec); <paramref name="source"/> names it in errors.</summary>
    public static JsonObject ParseTree(string yaml, string source) =>
        ParseYaml(yaml, source) as JsonObject ?? throw new ConfigException($"{source}: the top level must be a mapping (dataset:, tokenizer:, objective:, ...)");

    /// <summary>Sets <c>a.b.c=value</c>; the value is read as YAML (numbers, booleans, [lists]).</summary>
    public static void ApplyOverride(JsonObject root, string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new ConfigException($"--set {assignment}: expected key=value, e.g. --set trainer.batch_size=128");
        string[] keys = assignment[..eq].Trim().Split('.');
        if (keys.Any(string.IsNullOrWhiteSpace)) throw new ConfigException($"--set {assignment}: empty key segment");
        JsonObject node = root;
        foreach (var key in keys[..^1])
        {
            if (node[key] is not JsonObject child)
            {
                child = new JsonObject();
                node[key] = child;
            }
            node = child;
        }
        node[keys[^1]] = ParseYaml(assignment[(eq + 1)..], $"--set {assignment}");
    }

    public static T Deserialize<T>(JsonNode node, string keyPrefix) => (T)DeserializeTo(node, typeof(T), keyPrefix);

    private static object DeserializeTo(JsonNode node, Type type, string keyPrefix)
    {
        var (value, key, message) = TryDeserialize(node, type, keyPrefix);
        return value ?? throw new ConfigException($"{key}: {message}");
    }

    /// <summary>Binds a node to <paramref name="type"/>; on failure, the key and the problem instead of an exception.</summary>
    public static (object? Value, string Key, string Message) TryDeserialize(JsonNode node, Type type, string keyPrefix)
    {
        try
        {
            return node.Deserialize(type, Json) is { } value ? (value, "", "") : (null, JoinKey(keyPrefix, null), "is empty");
        }
        catch (JsonException e)
        {
            string where = JoinKey(keyPrefix, e.Path);
            string what = e.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? $"unknown key (allowed: {string.Join(", ", AllowedKeys(type, e.Path))})"
                : "has the wrong type: " + FirstSentence(e.Message);
            return (null, where, what);
        }
    }

    private static IEnumerable<string> AllowedKeys(Type type, string? jsonPath)
    {
        // Walk the path to the object that had the unknown key, then list its properties.
        var segments = (jsonPath ?? "$").TrimStart('$').Split('.', StringSplitOptions.RemoveEmptyEntries);
        foreach (var segment in segments[..Math.Max(0, segments.Length - 1)])
        {
            var property = type.GetProperties().FirstOrDefault(p => OptionsValidator.Key("", p.Name) == segment || p.Name.Equals(segment, StringComparison.OrdinalIgnoreCase));
            if (property is null) break;
            type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        }
        return type.GetProperties().Where(p => p.CanWrite).Select(p => OptionsValidator.Key("", p.Name));
    }

    private static string JoinKey(string prefix, string? jsonPath)
    {
        string path = (jsonPath ?? "$").TrimStart('$').TrimStart('.');
        return prefix.Length == 0 ? (path.Length == 0 ? "config" : path) : (path.Length == 0 ? prefix : $"{prefix}.{path}");
    }

    private static string FirstSentence(string message)
    {
        int dot = message.IndexOf(". ", StringComparison.Ordinal);
        return dot > 0 ? message[..(dot + 1)] : message;
    }

    // ---- YAML → JSON ----

    private static JsonNode? ParseYaml(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ConfigException($"{source}: invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}");
        }
        return stream.Documents.Count == 0 ? null : ToJson(stream.Documents[0].RootNode);
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        string value = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted) return JsonValue.Create(value);
        if (value is "" or "~" or "null" or "Null" or "NULL") return null;
        if (value is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (value is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)) return JsonValue.Create(l);
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return JsonValue.Create(d);
        return JsonValue.Create(value);
    }

    /// <summary>Writes a JSON tree as YAML (for the run directory's resolved config).</summary>
    public static string ToYaml(JsonNode node)
    {
        var serializer = new YamlDotNet.Serialization.SerializerBuilder().Build();
        return serializer.Serialize(ToPlain(node));
    }

    private static object? ToPlain(JsonNode? node) => node switch
    {
        JsonObject o => o.ToDictionary(kv => kv.Key, kv => ToPlain(kv.Value)),
        JsonArray a => a.Select(ToPlain).ToList(),
        JsonValue v when v.TryGetValue(out bool b) => b,
        JsonValue v when v.TryGetValue(out long l) => l,
        JsonValue v when v.TryGetValue(out double d) => d,
        JsonValue v => v.ToString(),
        _ => null,
    };
}
