using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Scott.Lab.Runs.Comparison;

/// <summary>Turns a run's resolved spec into dotted keys (<c>model.width</c> → <c>192</c>) for the config diff.</summary>
public static class ConfigFlattener
{
    public static SortedDictionary<string, string> Flatten(JsonObject? spec)
    {
        var keys = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (spec is not null) Walk(spec, "", keys);
        return keys;
    }

    private static void Walk(JsonNode? node, string prefix, SortedDictionary<string, string> keys)
    {
        switch (node)
        {
            case JsonObject map when map.Count > 0:
                foreach (var (key, value) in map) Walk(value, prefix.Length == 0 ? key : $"{prefix}.{key}", keys);
                break;
            case JsonObject:
                keys[prefix] = "{}";
                break;
            case JsonArray list when list.All(c => c is null or JsonValue):
                // Short lists ([0.04, 0.4]) are one value: a diff of their items would say less.
                keys[prefix] = "[" + string.Join(", ", list.Select(Scalar)) + "]";
                break;
            case JsonArray list:
                for (int i = 0; i < list.Count; i++) Walk(list[i], $"{prefix}[{i}]", keys);
                break;
            default:
                keys[prefix] = Scalar(node);
                break;
        }
    }

    private static string Scalar(JsonNode? node)
    {
        if (node is not JsonValue value) return "null";
        return value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            // 5.0e-4 and 0.0005 are the same setting: numbers compare by value, written the shortest way.
            JsonValueKind.Number => SpecDocuments.Number(value).ToString("R", CultureInfo.InvariantCulture),
            _ => "null",
        };
    }

    /// <summary>A flattened value as a number, when it is one.</summary>
    public static double? Number(string? value) =>
        value is not null && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) ? d : null;
}
