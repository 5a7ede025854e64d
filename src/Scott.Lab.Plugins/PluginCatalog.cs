using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Security.Cryptography;
using McMaster.NETCore.Plugins;
using Scott.Lab.Abstractions.Plugins;
using TorchSharp;

namespace Scott.Lab.Plugins;

/// <summary>
/// Whether a plugin file could be used: Loaded; Failed (it was loaded and threw, or holds nothing usable); or
/// Quarantined (it was never loaded in this process: its probe in a child process crashed or exited, see
/// <see cref="PluginQuarantine"/>).
/// </summary>
public enum PluginStatus { Loaded, Failed, Quarantined }

/// <summary>
/// Asked before a plugin file is loaded into this process: null lets it load; a reason keeps it out, and the file
/// becomes a <see cref="PluginStatus.Quarantined"/> entry with that reason as its error.
/// </summary>
public delegate string? PluginAdmission(string path, string sha256);

/// <summary>
/// One plugin (or one failed plugin file) as the catalog knows it. <see cref="Kind"/> is read from the interface the
/// plugin implements; it is null for a file whose plugin types could not be read.
/// </summary>
public sealed record PluginEntry(
    PluginKind? Kind, string Id, string Version, string DisplayName, string Description, string AssemblyPath,
    string Sha256, PluginStatus Status, string? Error, IScottLabPlugin? Instance);

/// <summary>
/// Discovers plugin DLLs in plugin folders and loads them with McMaster's PluginLoader. The contract and TorchSharp
/// are shared with the host (PreferSharedTypes), so a plugin's tensors and modules are the host's types. A file
/// that fails (not .NET, a throwing constructor, nothing implemented, a duplicate id, a host older than it needs)
/// becomes a Failed entry with its error; it never stops the other plugins from loading. Loaders are not
/// collectible: libtorch types can't unload.
/// </summary>
/// <param name="hostVersion">The host version plugins are checked against; the contract's own
/// (<see cref="PluginContract.Version"/>) unless a test stands in for another host.</param>
/// <param name="admission">Asked before each file is loaded; may keep it out (quarantine, see <see cref="PluginQuarantine"/>).</param>
public sealed class PluginCatalog(Version? hostVersion = null, PluginAdmission? admission = null)
{
    private static readonly Type[] SharedTypes = [typeof(IScottLabPlugin), typeof(torch)];
    private static readonly string ContractName = typeof(IScottLabPlugin).Assembly.GetName().Name!;
    private readonly List<PluginEntry> _entries = [];
    private readonly Dictionary<string, PluginLoader> _loaders = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>
    /// The Scott.Lab version plugins are checked against (major.minor.patch): a plugin built against a newer
    /// contract, or whose <see cref="IScottLabPlugin.MinimumHostVersion"/> is higher, is refused with a message.
    /// </summary>
    public Version HostVersion { get; } = PluginContract.Normalise(hostVersion ?? PluginContract.Version);

    public IReadOnlyList<PluginEntry> Entries { get { lock (_gate) return _entries.ToList(); } }

    /// <summary>The plugin folder next to the running program: where the built-in plugins are copied.</summary>
    public static string BuiltInFolder => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>A catalog of the plugins in <paramref name="folders"/>; <paramref name="admission"/> may keep files out (quarantine).</summary>
    public static PluginCatalog Load(IEnumerable<string> folders, PluginAdmission? admission = null)
    {
        var catalog = new PluginCatalog(admission: admission);
        foreach (var folder in folders) catalog.Scan(folder);
        return catalog;
    }

    /// <summary>
    /// Loads plugin files in <paramref name="folder"/> that are not loaded yet: <c>Name/Name.dll</c> in a subfolder
    /// (with its dependencies beside it) or a single DLL directly in the folder. Returns the new entries.
    /// </summary>
    public IReadOnlyList<PluginEntry> Scan(string folder)
    {
        var added = new List<PluginEntry>();
        if (!Directory.Exists(folder)) return added;
        var candidates = Directory.EnumerateDirectories(folder)
            .Select(dir => Path.Combine(dir, Path.GetFileName(dir) + ".dll"))
            .Where(File.Exists)
            .Concat(Directory.EnumerateFiles(folder, "*.dll"))
            .Select(Path.GetFullPath)
            .OrderBy(p => p, StringComparer.Ordinal);
        foreach (var path in candidates)
        {
            lock (_gate) if (_loaders.ContainsKey(path) || _entries.Any(e => e.AssemblyPath == path)) continue;
            added.AddRange(LoadFile(path));
        }
        return added;
    }

    public IReadOnlyList<PluginEntry> LoadFile(string path)
    {
        string hash = Sha256Of(path);
        var found = new List<PluginEntry>();
        if (admission?.Invoke(path, hash) is { } reason)
        {
            var quarantined = new PluginEntry(null, Path.GetFileNameWithoutExtension(path), "", "", "", path, hash, PluginStatus.Quarantined, reason, null);
            lock (_gate) _entries.Add(quarantined);
            return [quarantined];
        }
        try
        {
            var loader = PluginLoader.CreateFromAssemblyFile(path, SharedTypes, config => config.PreferSharedTypes = true);
            var assembly = loader.LoadDefaultAssembly();
            string? refused = NewerContract(assembly, path); // checked before any of its types load
            var types = refused is null ? PluginTypes(assembly) : [];
            if (refused is not null)
                found.Add(Failed(path, hash, refused));
            else if (types.Count == 0)
                found.Add(Failed(path, hash, $"contains no public class implementing {nameof(ITokenizerPlugin)}, {nameof(IObjectivePlugin)} or {nameof(IDatasetPlugin)} with a parameterless constructor."));
            foreach (var type in types) found.Add(Instantiate(type, path, hash, HostVersion));
            lock (_gate) _loaders[path] = loader;
            AddNativeFolders(Path.GetDirectoryName(path)!);
        }
        catch (BadImageFormatException)
        {
            found.Add(Failed(path, hash, "is not a .NET assembly (BadImageFormat). Plugins are .NET class libraries built against Scott.Lab.Abstractions."));
        }
        catch (Exception e) when (e is FileLoadException or FileNotFoundException or ReflectionTypeLoadException or TypeLoadException)
        {
            found.Add(Failed(path, hash, $"could not be loaded: {Describe(e)}"));
        }
        catch (MissingMemberException e)
        {
            // A type that implements or calls a member the shared assemblies lack (e.g. an explicit implementation of
            // a member the contract has since dropped): its types cannot load.
            found.Add(Failed(path, hash, $"could not be loaded: {Describe(e)}. It uses a member that this host's {ContractName} " +
                                         $"{HostVersion} or TorchSharp does not have: rebuild it against Scott.Lab {HostVersion}."));
        }
        lock (_gate)
        {
            for (int i = 0; i < found.Count; i++)
            {
                var entry = found[i];
                if (entry.Status == PluginStatus.Loaded && _entries.FirstOrDefault(e => e.Status == PluginStatus.Loaded && e.Kind == entry.Kind && e.Id == entry.Id) is { } owner)
                    found[i] = entry with
                    {
                        Status = PluginStatus.Failed, Instance = null,
                        Error = $"duplicate {entry.Kind} id '{entry.Id}': already provided by {owner.AssemblyPath}. Give this plugin another Id, or remove one of the two files.",
                    };
                _entries.Add(found[i]);
            }
        }
        return found;
    }

    /// <summary>
    /// Drops the Failed or Quarantined entries of a file that holds no loaded plugin, so that the next
    /// <see cref="Scan"/> tries it again (a file that was still being copied, or was fixed or replaced). Loaded files
    /// can't be forgotten: their loader stays.
    /// </summary>
    public bool ForgetFailed(string path)
    {
        path = Path.GetFullPath(path);
        lock (_gate)
        {
            if (_entries.Any(e => e.AssemblyPath == path && e.Status == PluginStatus.Loaded)) return false;
            int removed = _entries.RemoveAll(e => e.AssemblyPath == path);
            _loaders.Remove(path);
            return removed > 0;
        }
    }

    /// <summary>The loaded plugin of a kind with this id, or a clear error listing what is available.</summary>
    public T Resolve<T>(string id, string configKey) where T : class, IScottLabPlugin
    {
        var kind = KindOf(typeof(T)) ?? throw new ArgumentException($"{typeof(T).Name} is not a plugin kind.");
        var entries = Entries;
        var match = entries.FirstOrDefault(e => e.Status == PluginStatus.Loaded && e.Kind == kind && e.Id == id);
        if (match?.Instance is T plugin) return plugin;
        throw new PluginException($"{configKey}: {Missing(entries, kind, id)}");
    }

    /// <summary>
    /// Why no loaded <paramref name="kind"/> plugin has the id <paramref name="id"/>: it failed to load (with its
    /// error), its file is quarantined (with the reason), or it is unknown (with the ids that are available). The one
    /// wording of the CLI, the binder and the form.
    /// </summary>
    public static string Missing(IReadOnlyList<PluginEntry> entries, PluginKind kind, string id)
    {
        var failed = entries.FirstOrDefault(e => e.Status == PluginStatus.Failed && (e.Kind == kind || e.Kind is null) && e.Id == id);
        if (failed is not null) return $"plugin '{id}' failed to load: {failed.Error}";
        // A quarantined file was never loaded: its entry has the file's name, not a plugin id.
        var quarantined = entries.FirstOrDefault(e => e.Status == PluginStatus.Quarantined && e.Id == id);
        if (quarantined is not null) return $"plugin file {quarantined.AssemblyPath} is quarantined: {quarantined.Error}";
        string kindName = kind.ToString().ToLowerInvariant();
        var available = entries.Where(e => e.Status == PluginStatus.Loaded && e.Kind == kind).Select(e => e.Id).Order(StringComparer.Ordinal).ToList();
        return $"unknown {kindName} '{id}'. Available: {(available.Count > 0 ? string.Join(", ", available) : $"none (no {kindName} plugin is loaded)")}";
    }

    public PluginEntry? EntryFor(IScottLabPlugin plugin) => Entries.FirstOrDefault(e => ReferenceEquals(e.Instance, plugin));

    // ---- Native libraries of shared assemblies ----
    // With PreferSharedTypes, an assembly that both the host and a plugin ship is loaded from the host. SkiaSharp is
    // one: the host has SkiaSharp.dll (a TorchSharp dependency) but not libSkiaSharp.so, which the datasets plugin
    // brings in its runtimes/<rid>/native/. The default context looks for native libraries beside the host only, so
    // when that fails this resolver looks in the native folders of the loaded plugins.

    private static readonly ConcurrentDictionary<string, bool> NativeFolders = new(StringComparer.Ordinal);

    static PluginCatalog() => AssemblyLoadContext.Default.ResolvingUnmanagedDll += ResolveFromPluginFolders;

    private static void AddNativeFolders(string pluginFolder)
    {
        var rids = new[] { RuntimeInformation.RuntimeIdentifier, $"{OsName}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}", OsName };
        foreach (var rid in rids.Distinct())
        {
            string native = Path.Combine(pluginFolder, "runtimes", rid, "native");
            if (Directory.Exists(native)) NativeFolders.TryAdd(native, true);
        }
    }

    private static string OsName =>
        OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";

    private static IntPtr ResolveFromPluginFolders(Assembly assembly, string libraryName)
    {
        string[] names = Path.HasExtension(libraryName) ? [libraryName]
            : OperatingSystem.IsWindows() ? [libraryName + ".dll"]
            : OperatingSystem.IsMacOS() ? [libraryName + ".dylib", "lib" + libraryName + ".dylib"]
            : [libraryName + ".so", "lib" + libraryName + ".so"];
        foreach (var folder in NativeFolders.Keys.Order(StringComparer.Ordinal))
            foreach (var name in names)
            {
                string candidate = Path.Combine(folder, name);
                if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle)) return handle;
            }
        return IntPtr.Zero;
    }

    /// <summary>The kind a plugin is, from the interface it implements; null for none of the three.</summary>
    public static PluginKind? KindOf(IScottLabPlugin plugin) => KindOf(plugin.GetType());

    /// <summary>The kind a plugin type is, from the interface it implements; null for none of the three.</summary>
    public static PluginKind? KindOf(Type type) =>
        typeof(ITokenizerPlugin).IsAssignableFrom(type) ? PluginKind.Tokenizer
        : typeof(IObjectivePlugin).IsAssignableFrom(type) ? PluginKind.Objective
        : typeof(IDatasetPlugin).IsAssignableFrom(type) ? PluginKind.Dataset
        : null;

    /// <summary>
    /// Refuses a file built against a newer contract than the host's before any of its types load. Such a file
    /// needs that host at least, and the runtime would not bind it to the older contract anyway (the error would
    /// be a bare FileLoadException). Plugins built against an older or equal contract bind to the host's.
    /// </summary>
    private string? NewerContract(Assembly assembly, string path)
    {
        var contract = assembly.GetReferencedAssemblies().FirstOrDefault(a => a.Name == ContractName);
        if (contract?.Version is null) return null;
        var built = PluginContract.Normalise(contract.Version);
        return built > HostVersion
            ? $"{Path.GetFileName(path)} was built against {ContractName} {built}, so it needs Scott.Lab {built} or newer; this host is Scott.Lab {HostVersion}. " +
              $"Upgrade Scott.Lab to {built} or later, or use a build of {Path.GetFileName(path)} made for Scott.Lab {HostVersion}."
            : null;
    }

    private static List<Type> PluginTypes(Assembly assembly)
    {
        Type[] all;
        try { all = assembly.GetExportedTypes(); }
        catch (ReflectionTypeLoadException e) { all = e.Types.Where(t => t is not null).ToArray()!; }
        return all.Where(t => t is { IsClass: true, IsAbstract: false } && KindOf(t) is not null
                              && t.GetConstructor(Type.EmptyTypes) is not null).ToList();
    }

    private static PluginEntry Instantiate(Type type, string path, string hash, Version hostVersion)
    {
        try
        {
            var plugin = (IScottLabPlugin)Activator.CreateInstance(type)!;
            if (string.IsNullOrWhiteSpace(plugin.Id)) return Failed(path, hash, $"{type.FullName} has an empty Id.", type.Name);
            var entry = new PluginEntry(KindOf(type), plugin.Id, plugin.Version, plugin.DisplayName, plugin.Description, path, hash, PluginStatus.Loaded, null, plugin);
            if (TooNew(plugin, type, path, hostVersion) is { } tooNew)
                return entry with { Status = PluginStatus.Failed, Error = tooNew, Instance = null };
            if (plugin.OptionsType.GetConstructor(Type.EmptyTypes) is null)
                return Failed(path, hash, $"{type.FullName}: options type {plugin.OptionsType.Name} needs a public parameterless constructor.", plugin.Id);
            return entry;
        }
        catch (Exception e)
        {
            return Failed(path, hash, $"{type.FullName} threw while being created: {Describe(e)}", type.Name);
        }
    }

    /// <summary>The refusal of a plugin whose <see cref="IScottLabPlugin.MinimumHostVersion"/> is above the host's, or null.</summary>
    private static string? TooNew(IScottLabPlugin plugin, Type type, string path, Version hostVersion)
    {
        string declared = plugin.MinimumHostVersion;
        string who = $"{KindOf(type)?.ToString().ToLowerInvariant()} '{plugin.Id}' {plugin.Version} ({Path.GetFileName(path)})";
        if (!Version.TryParse(declared, out var minimum))
            return $"{who} declares MinimumHostVersion '{declared}', which is not a version (major.minor.patch, e.g. 0.1.0); fix {type.FullName}.";
        minimum = PluginContract.Normalise(minimum);
        return minimum > hostVersion
            ? $"{who} needs Scott.Lab {minimum} or newer (its MinimumHostVersion); this host is Scott.Lab {hostVersion}. " +
              $"Upgrade Scott.Lab to {minimum} or later, or use a build of '{plugin.Id}' made for Scott.Lab {hostVersion}."
            : null;
    }

    private static PluginEntry Failed(string path, string hash, string error, string? id = null) =>
        new(null, id ?? Path.GetFileNameWithoutExtension(path), "", "", "", path, hash, PluginStatus.Failed, error, null);

    private static string Describe(Exception e)
    {
        while (e is TargetInvocationException { InnerException: not null } t) e = t.InnerException!;
        return $"{e.GetType().Name}: {e.Message}";
    }

    /// <summary>A file's SHA-256, as plugin entries record it (lower-case hex).</summary>
    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }
}

/// <summary>A plugin that is unknown or failed, with a message naming the config key and what is available.</summary>
public sealed class PluginException(string message) : Exception(message);
