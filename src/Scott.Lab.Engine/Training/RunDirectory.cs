using System.Text.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Engine.Config;

namespace Scott.Lab.Engine.Training;

/// <summary>
/// A run's folder: <c>config.yaml</c> (resolved, every default filled in), <c>run.json</c> (plugins, device,
/// versions), <c>metrics.jsonl</c>, <c>checkpoints/</c> and <c>summary.json</c>.
/// </summary>
public sealed class RunDirectory
{
    public RunDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }
    public string ConfigFile => System.IO.Path.Combine(Path, "config.yaml");
    public string RunFile => System.IO.Path.Combine(Path, "run.json");
    public string MetricsFile => System.IO.Path.Combine(Path, "metrics.jsonl");
    public string SummaryFile => System.IO.Path.Combine(Path, "summary.json");

    public void WriteConfig(JsonObject resolved) => File.WriteAllText(ConfigFile, ConfigLoader.ToYaml(resolved));

    public void WriteJson(string file, object value) =>
        File.WriteAllText(file, JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));

    public void AppendMetrics(IReadOnlyDictionary<string, object> row)
    {
        using var writer = File.AppendText(MetricsFile);
        writer.WriteLine(JsonSerializer.Serialize(row));
    }

    /// <summary>Drops metric rows at or after <paramref name="step"/>: a resumed run re-does those steps.</summary>
    public void TruncateMetricsFrom(long step)
    {
        if (!File.Exists(MetricsFile)) return;
        var kept = File.ReadLines(MetricsFile)
            .Where(line => line.Length > 0 && JsonNode.Parse(line)?["step"]?.GetValue<long>() < step)
            .ToList();
        File.WriteAllLines(MetricsFile, kept);
    }

    public JsonObject? ReadSummary() =>
        File.Exists(SummaryFile) ? JsonNode.Parse(File.ReadAllText(SummaryFile)) as JsonObject : null;
}
