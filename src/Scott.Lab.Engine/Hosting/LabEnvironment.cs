using System.Text.Json.Nodes;
using Scott.Lab.Plugins;

namespace Scott.Lab.Engine.Hosting;

/// <summary>Why a folder is searched for plugins; the portal passes its <see cref="Configured"/> ones on to workers.</summary>
public enum PluginFolderKind
{
    /// <summary>The built-in plugins, beside the program (PluginCatalog.BuiltInFolder).</summary>
    BuiltIn,
    /// <summary>DATA/plugins: where the portal unpacks uploaded plugins.</summary>
    Uploads,
    /// <summary>ScottLab:PluginFolders in the root appsettings.json (or ScottLab__PluginFolders__N).</summary>
    Configured,
    /// <summary>The CLI's --plugins and SCOTT_LAB_PLUGINS.</summary>
    CommandLine,
}

/// <summary>A folder the plugin catalog loads from, and why.</summary>
public sealed record PluginFolder(PluginFolderKind Kind, string Path);

/// <summary>
/// The host environment that the CLI and the portal share: the data folder (the run store's LiteDB file, the run
/// folders, uploaded plugins) and the plugin folders, by name. Both read the same <c>ScottLab</c> settings: the
/// portal through ASP.NET configuration (<see cref="FromSettings"/>), the CLI through <see cref="Load"/>, which
/// finds the root appsettings.json itself. Relative paths are relative to the repository root (the settings file).
/// </summary>
public sealed class LabEnvironment
{
    public const string SettingsSection = "ScottLab";

    public LabEnvironment(string dataDir, IEnumerable<PluginFolder> extraPluginFolders)
    {
        DataDir = Path.GetFullPath(dataDir);
        PluginFolders = [new(PluginFolderKind.BuiltIn, PluginCatalog.BuiltInFolder), new(PluginFolderKind.Uploads, UploadedPluginsDir), .. extraPluginFolders];
    }

    public string DataDir { get; }
    /// <summary>Where run folders go: DATA/runs/&lt;id&gt;.</summary>
    public string RunsDir => Path.Combine(DataDir, "runs");
    /// <summary>DATA/plugins: uploaded plugins are unpacked here, one subfolder each; loaded by the CLI too.</summary>
    public string UploadedPluginsDir => Path.Combine(DataDir, "plugins");
    public IReadOnlyList<PluginFolder> PluginFolders { get; }

    public IReadOnlyList<string> PluginFolderPaths => PluginFolders.Select(f => f.Path).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The folders of one kind (e.g. the configured ones, which a worker is told about).</summary>
    public IEnumerable<string> FoldersOf(PluginFolderKind kind) => PluginFolders.Where(f => f.Kind == kind).Select(f => f.Path);

    /// <summary>The portal: its settings, already merged by ASP.NET configuration, relative to its content root.</summary>
    public static LabEnvironment FromSettings(string contentRoot, string dataDir, IEnumerable<string> pluginFolders) =>
        new(Path.Combine(contentRoot, dataDir),
            pluginFolders.Select(f => new PluginFolder(PluginFolderKind.Configured, Path.GetFullPath(Path.Combine(contentRoot, f)))));

    /// <summary>
    /// The CLI. The data folder: <paramref name="dataDirOption"/> (--data-dir), then ScottLab__DataDir, then the root
    /// appsettings.json (found from the working directory upwards, then from the program's folder upwards), then
    /// "data" in the working directory. Plugin folders: the settings file's, then <paramref name="commandLineFolders"/>.
    /// </summary>
    public static LabEnvironment Load(string? dataDirOption, IEnumerable<string>? commandLineFolders = null)
    {
        string? file = FindAppSettings(Environment.CurrentDirectory) ?? FindAppSettings(AppContext.BaseDirectory);
        JsonNode? section = null;
        if (file is not null)
        {
            try { section = JsonNode.Parse(File.ReadAllText(file))?[SettingsSection]; }
            catch (System.Text.Json.JsonException e) { throw new IOException($"{file} is not valid JSON: {e.Message}. Fix the file or pass --data-dir."); }
        }
        string baseDir = file is null ? Environment.CurrentDirectory : Path.GetDirectoryName(file)!;
        string Resolve(string path) => Path.GetFullPath(Path.Combine(baseDir, path));

        string dataDir = dataDirOption is not null ? Path.GetFullPath(dataDirOption)
            : Environment.GetEnvironmentVariable("ScottLab__DataDir") is { Length: > 0 } env ? Path.GetFullPath(env)
            : section?["DataDir"]?.GetValue<string>() is { Length: > 0 } configured ? Resolve(configured)
            : Path.GetFullPath("data");
        var configuredFolders = section?["PluginFolders"]?.AsArray().Select(n => new PluginFolder(PluginFolderKind.Configured, Resolve(n!.GetValue<string>()))) ?? [];
        var given = (commandLineFolders ?? []).Select(f => new PluginFolder(PluginFolderKind.CommandLine, Path.GetFullPath(f)));
        return new LabEnvironment(dataDir, [.. configuredFolders, .. given]);
    }

    private static string? FindAppSettings(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "appsettings.json");
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Scott.Lab.sln"))) return candidate;
        }
        return null;
    }
}
