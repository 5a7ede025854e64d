using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Scott.Lab.Plugins;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Features.Plugins;

/// <summary>A loaded plugin file that changed on disk; the old version stays in use until the portal restarts.</summary>
/// <param name="Path">The plugin DLL.</param>
/// <param name="Removed">True when the file is gone, false when it was replaced by different bytes.</param>
public sealed record PluginChangeOnDisk(string Path, bool Removed)
{
    public string Message => Removed
        ? $"{Path} was removed on disk: restart the portal to apply (the loaded version stays in use until then)."
        : $"{Path} was replaced on disk: restart the portal to apply (the loaded version stays in use until then).";
}

/// <summary>
/// The portal's plugin catalog: the built-in plugins, DATA/plugins (where uploads go) and the configured folders.
/// <see cref="Changed"/> fires when plugins appear, so that pages refresh.
/// <para>
/// Quarantine: a plugin file outside the built-in folder is loaded into the portal only after it was probed in a
/// child process (<c>scott-lab plugins probe FILE</c>, <see cref="PluginProber"/>) that got to the end. A file whose
/// probe exits, crashes or hangs is Quarantined, listed with the reason, and never loaded in-process. Probe results
/// are kept by SHA-256 in DATA/plugin-probes.json (<see cref="PluginQuarantine"/>), so each file is probed once and a
/// quarantined file stays out across restarts until it is replaced by different bytes.
/// </para>
/// </summary>
public sealed class PortalPlugins
{
    private readonly object _scanGate = new();
    // Size, write time and SHA-256 of each catalogued file when last hashed: a file is only re-hashed when they move.
    private readonly Dictionary<string, (long Length, DateTime WriteTime, string Hash)> _stamps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PluginChangeOnDisk> _pending = new(StringComparer.Ordinal);

    private readonly ILogger? _logger;

    public PortalPlugins(IOptions<PortalOptions> options, PortalPaths paths, ILogger<PortalPlugins>? logger = null)
    {
        _logger = logger;
        UploadFolder = paths.PluginsDir;
        Directory.CreateDirectory(UploadFolder);
        Environment = paths.Environment;
        Folders = Environment.PluginFolderPaths;
        Quarantine = new PluginQuarantine(paths.DataDir);
        Prober = new PluginProber(
            [ScottLabCli.DotnetHost(), ScottLabCli.Dll],
            TimeSpan.FromSeconds(Math.Max(1, options.Value.PluginProbeTimeoutSeconds)));
        Catalog = PluginCatalog.Load(Folders, Admit);
    }

    public PluginCatalog Catalog { get; }
    /// <summary>The host environment whose plugin folders these are (by kind: built-in, uploads, configured).</summary>
    public Scott.Lab.Engine.Hosting.LabEnvironment Environment { get; }

    /// <summary>The probe results by SHA-256 (DATA/plugin-probes.json).</summary>
    public PluginQuarantine Quarantine { get; }

    /// <summary>Runs <c>scott-lab plugins probe FILE</c> in a child process.</summary>
    public PluginProber Prober { get; }
    public IReadOnlyList<string> Folders { get; }
    /// <summary>DATA/plugins: uploaded plugins are unpacked here, one subfolder each.</summary>
    public string UploadFolder { get; }

    /// <summary>
    /// Loaded plugin files that were replaced or removed on disk since they were loaded. Plugin loaders are not
    /// collectible (libtorch types can't unload), so the old version stays in use until the portal restarts.
    /// </summary>
    public IReadOnlyList<PluginChangeOnDisk> PendingRestart
    {
        get { lock (_scanGate) return _pending.Values.OrderBy(p => p.Path, StringComparer.Ordinal).ToList(); }
    }

    public event Action? Changed;

    /// <summary>
    /// Loads plugin files that appeared since the last scan, retries failed files that changed (a DLL scanned while
    /// it was still being copied), forgets failed files that are gone, and records loaded files that were replaced
    /// or removed in <see cref="PendingRestart"/>. Returns how many entries were added.
    /// </summary>
    public int Rescan()
    {
        int added;
        bool changed;
        lock (_scanGate)
        {
            changed = CheckKnownFiles();
            added = Folders.Sum(folder => Catalog.Scan(folder).Count);
            foreach (var entry in Catalog.Entries) RememberStamp(entry.AssemblyPath, entry.Sha256);
        }
        if (added > 0 || changed) Changed?.Invoke();
        return added;
    }

    private bool CheckKnownFiles()
    {
        bool changed = false;
        foreach (var file in Catalog.Entries.GroupBy(e => e.AssemblyPath, StringComparer.Ordinal))
        {
            string path = file.Key;
            bool loaded = file.Any(e => e.Status == PluginStatus.Loaded);
            string? hash = CurrentHash(path, file.First().Sha256);
            bool same = hash == file.First().Sha256;
            if (loaded)
            {
                var now = same ? null : new PluginChangeOnDisk(path, Removed: hash is null);
                _pending.TryGetValue(path, out var before);
                if (now == before) continue;
                if (now is null) _pending.Remove(path);
                else _pending[path] = now;
                changed = true;
            }
            else if (!same && Catalog.ForgetFailed(path))
            {
                _stamps.Remove(path);
                changed = true; // gone: its row disappears; changed: the scan below tries it again
            }
        }
        return changed;
    }

    /// <summary>The file's SHA-256 (lower-case hex) or null when it is gone; re-hashed only when its size or write time moved.</summary>
    private string? CurrentHash(string path, string loadedHash)
    {
        var info = new FileInfo(path);
        if (!info.Exists) return null;
        _stamps.TryGetValue(path, out var stamp);
        if (stamp.Hash is not null && stamp.Length == info.Length && stamp.WriteTime == info.LastWriteTimeUtc) return stamp.Hash;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            string hash = Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
            _stamps[path] = (info.Length, info.LastWriteTimeUtc, hash);
            return hash;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return stamp.Hash ?? loadedHash; // locked or half-written: the next watcher event looks again
        }
    }

    /// <summary>
    /// The catalog's admission: built-in plugins load (they ship with the portal); any other file loads only when a
    /// probe of these exact bytes passed, and is probed first when none was made.
    /// </summary>
    private string? Admit(string path, string sha256)
    {
        if (Environment.FoldersOf(Scott.Lab.Engine.Hosting.PluginFolderKind.BuiltIn).Any(folder => IsUnder(path, folder))) return null;
        if (Quarantine.Find(sha256) is { } known) return known.Passed ? null : known.Reason;
        _logger?.LogInformation("Probing new plugin file {Path} in a child process before loading it.", path);
        var result = Prober.Probe(path);
        if (result.Conclusive) Quarantine.Record(new PluginProbeRecord(sha256, path, result.Passed, result.Reason, DateTime.UtcNow));
        if (!result.Passed) _logger?.LogError("Plugin file {Path} is quarantined: {Reason}", path, result.Reason);
        return result.Passed ? null : result.Reason;
    }

    private static bool IsUnder(string path, string folder)
    {
        string full = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return Path.GetFullPath(path).StartsWith(full, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    /// <summary>Stamps a newly catalogued file with the hash it was loaded with.</summary>
    private void RememberStamp(string path, string hash)
    {
        if (_stamps.ContainsKey(path)) return;
        var info = new FileInfo(path);
        if (info.Exists) _stamps[path] = (info.Length, info.LastWriteTimeUtc, hash);
    }
}
