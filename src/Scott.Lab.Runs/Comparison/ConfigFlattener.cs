using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Scott.Lab.Runs.Comparison;

/// <summary>Turns a run's resolved YAML spec into dotted keys (<c>model.width</c> → <c>192</c>) for the config diff.</summary>
public static class ConfigFlattener
{
    public static SortedDictionary<string, string> Flatten(string? yaml)
    {
        var keys = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(yaml)) return keys;
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            keys["(spec)"] = $"unreadable YAML: {e.Message}";
            return keys;
        }
        if (stream.Documents.Count > 0) Walk(stream.Documents[0].RootNode, "", keys);
        return keys;
    }

    private static void Walk(YamlNode node, string prefix, SortedDictionary<string, string> keys)
    {
        switch (node)
        {
            case YamlMappingNode map when map.Children.Count > 0:
                foreach (var (key, value) in map.Children)
                    Walk(value, prefix.Length == 0 ? ((YamlScalarNode)key).Value ?? "" : $"{prefix}.{((YamlScalarNode)key).Value}", keys);
                break;
            case YamlSequenceNode sequence when sequence.Children.All(c => c is YamlScalarNode):
                // Short lists ([0.04, 0.4]) are one value: a diff of their items would say less.
                keys[prefix] = "[" + string.Join(", ", sequence.Children.Select(c => Scalar((YamlScalarNode)c))) + "]";
                break;
            case YamlSequenceNode sequence:
                for (int i = 0; i < sequence.Children.Count; i++) Walk(sequence.Children[i], $"{prefix}[{i}]", keys);
                break;
            case YamlMappingNode:
                keys[prefix] = "{}";
                break;
            case YamlScalarNode scalar:
                keys[prefix] = Scalar(scalar);
                break;
        }
    }

    private static string Scalar(YamlScalarNode scalar)
    {
        string value = scalar.Value ?? "";
        if (scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && value is "~" or "") return "null";
        // 5.0e-4 and 0.0005 are the same setting: compare numbers by value, written the shortest way.
        if (scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number)
            && value.Any(char.IsDigit))
            return number.ToString("R", CultureInfo.InvariantCulture);
        return value;
    }

    /// <summary>A flattened value as a number, when it is one.</summary>
    public static double? Number(string? value) =>
        value is not null && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) ? d : null;
}
