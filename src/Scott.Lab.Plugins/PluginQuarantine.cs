using System.Text.Json;

namespace Scott.Lab.Plugins;

/// <summary>What probing one plugin file found, by the SHA-256 of its bytes.</summary>
/// <param name="Passed">True when the probe loaded the file and finished; false when the file is quarantined.</param>
/// <param name="Reason">Why it is quarantined (null when it passed).</param>
public sealed record PluginProbeRecord(string Sha256, string Path, bool Passed, string? Reason, DateTime ProbedUtc);

/// <summary>
/// The probe results of plugin files, in <c>DATA/plugin-probes.json</c>, keyed by the SHA-256 of each file's bytes:
/// a file is probed once, a quarantined file stays out across restarts (a plugin that kills its process must not
/// crash-loop the portal), and replacing the file (new bytes, new hash) gets it probed again. The portal writes it;
/// the CLI and the portal's workers read it, so that they don't load a quarantined file either. A missing or
/// unreadable file counts as empty: every file is then probed again.
/// </summary>
public sealed class PluginQuarantine(string dataDir)
{
    public const string FileName = "plugin-probes.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly object _gate = new();

    public string FilePath { get; } = System.IO.Path.Combine(dataDir, FileName);

    /// <summary>The record of the file with this SHA-256, or null when it has not been probed.</summary>
    public PluginProbeRecord? Find(string sha256)
    {
        lock (_gate) return ReadAll().GetValueOrDefault(sha256);
    }

    /// <summary>Every record, by SHA-256.</summary>
    public IReadOnlyDictionary<string, PluginProbeRecord> All()
    {
        lock (_gate) return ReadAll();
    }

    /// <summary>Stores (or replaces) the record of one file; written to a temporary file and renamed.</summary>
    public void Record(PluginProbeRecord record)
    {
        lock (_gate)
        {
            var all = ReadAll();
            all[record.Sha256] = record;
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(FilePath)!);
            string temp = $"{FilePath}.{Environment.ProcessId}.tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(all.Values.OrderBy(r => r.Path, StringComparer.Ordinal).ToList(), Json));
            File.Move(temp, FilePath, overwrite: true);
        }
    }

    /// <summary>
    /// A <see cref="PluginAdmission"/> for processes that do not probe (the CLI, workers): the reason a file is
    /// quarantined, or null to load it.
    /// </summary>
    public string? QuarantineReason(string path, string sha256) => Find(sha256) is { Passed: false } record ? record.Reason : null;

    private Dictionary<string, PluginProbeRecord> ReadAll()
    {
        try
        {
            if (!File.Exists(FilePath)) return new(StringComparer.Ordinal);
            var records = JsonSerializer.Deserialize<List<PluginProbeRecord>>(File.ReadAllText(FilePath), Json) ?? [];
            return records.Where(r => r.Sha256 is { Length: > 0 }).ToDictionary(r => r.Sha256, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return new(StringComparer.Ordinal);
        }
    }
}
