using System.IO.Compression;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Scott.Lab.Plugins;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Features.Plugins;

/// <summary>What an upload did: the folder it installed and the catalog entries found in it, or why it was refused.</summary>
public sealed record PluginUploadResult(string? Error, string? Folder, IReadOnlyList<PluginEntry> Entries)
{
    public bool Succeeded => Error is null;
    public static PluginUploadResult Refused(string error) => new(error, null, []);
}

/// <summary>
/// Installs an uploaded plugin into DATA/plugins: a .zip (the plugin folder: its main DLL and dependencies, at the
/// top level or inside one folder) or a single .dll, each into a new subfolder <c>Name/</c> holding <c>Name.dll</c>,
/// the layout <see cref="PluginCatalog.Scan"/> finds. The upload is checked and unpacked in a staging folder inside
/// DATA/plugins (too deep for the catalog to look at) and moved into place in one rename, so the watcher never
/// sees half a plugin. Nothing is written outside DATA/plugins, and an installed plugin folder is never overwritten.
/// </summary>
public sealed partial class PluginUploader(PortalPlugins plugins, IOptions<PortalOptions> options)
{
    /// <summary>A zip may unpack to at most this many times the upload limit (a guard against zip bombs).</summary>
    private const int MaxUnpackFactor = 8;
    private const int MaxZipEntries = 10_000;
    private readonly SemaphoreSlim _installing = new(1, 1);

    public long MaxBytes => Math.Max(1, options.Value.MaxUploadMegabytes) * 1024L * 1024L;
    public int MaxMegabytes => Math.Max(1, options.Value.MaxUploadMegabytes);

    /// <summary>Installs <paramref name="content"/> uploaded as <paramref name="fileName"/>; never throws for a bad upload.</summary>
    public async Task<PluginUploadResult> InstallAsync(string fileName, Stream content, CancellationToken cancellationToken = default)
    {
        string name = Path.GetFileName(fileName.Replace('\\', '/'));
        string extension = Path.GetExtension(name).ToLowerInvariant();
        if (extension is not (".zip" or ".dll"))
            return PluginUploadResult.Refused($"'{name}' is not a plugin package: upload a .zip (the plugin's folder: its main DLL plus dependencies) or a single .dll.");

        await _installing.WaitAsync(cancellationToken);
        string staging = Path.Combine(plugins.UploadFolder, ".upload-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(staging);
            string received = Path.Combine(staging, "received" + extension);
            if (!await CopyWithLimitAsync(content, received, cancellationToken))
                return PluginUploadResult.Refused($"'{name}' is larger than the upload limit of {MaxMegabytes} MB (ScottLab:MaxUploadMegabytes).");

            string unpacked = Path.Combine(staging, "content");
            Directory.CreateDirectory(unpacked);
            string pluginName = extension == ".dll"
                ? PlaceDll(name, received, unpacked)
                : Unzip(name, received, unpacked);

            string target = Path.Combine(plugins.UploadFolder, pluginName);
            if (Directory.Exists(target) || File.Exists(target) || File.Exists(target + ".dll"))
                throw new UploadRefused($"plugin '{pluginName}' is already installed ({target}); remove that folder first, or restart the portal after replacing it to load the new version.");
            // One rename inside DATA/plugins: the plugin appears complete or not at all.
            Directory.Move(Path.Combine(unpacked, pluginName), target);

            plugins.Rescan();
            string prefix = target + Path.DirectorySeparatorChar;
            var entries = plugins.Catalog.Entries.Where(e => e.AssemblyPath.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            return new PluginUploadResult(null, target, entries);
        }
        catch (UploadRefused e)
        {
            return PluginUploadResult.Refused(e.Message);
        }
        finally
        {
            TryDelete(staging);
            _installing.Release();
        }
    }

    private async Task<bool> CopyWithLimitAsync(Stream content, string path, CancellationToken cancellationToken)
    {
        await using var file = File.Create(path);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > MaxBytes) return false;
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
        return true;
    }

    private static string PlaceDll(string uploadName, string received, string unpacked)
    {
        // Named after the assembly ("Foo (1).dll" from a browser is still Foo): the loader finds an assembly by its
        // name. A file that is not a .NET assembly is refused here, so nothing is installed that can only fail.
        string name = Path.GetFileNameWithoutExtension(uploadName);
        try { name = System.Reflection.AssemblyName.GetAssemblyName(received).Name ?? name; }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException)
        {
            throw new UploadRefused($"'{uploadName}' is not a .NET assembly ({e.GetType().Name}); nothing was installed. Upload the DLL your plugin project builds (bin/Release/net10.0/YourPlugin.dll) or that output folder as a .zip.");
        }
        string pluginName = SafeName(name, uploadName);
        string folder = Path.Combine(unpacked, pluginName);
        Directory.CreateDirectory(folder);
        File.Move(received, Path.Combine(folder, pluginName + ".dll"));
        return pluginName;
    }

    /// <summary>Checks every entry, picks the main DLL, then unpacks into <c>unpacked/Name/</c>; returns Name.</summary>
    private string Unzip(string uploadName, string received, string unpacked)
    {
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(received); }
        catch (InvalidDataException e) { throw new UploadRefused($"'{uploadName}' is not a valid zip archive ({e.Message}); zip the plugin's folder and upload it again."); }
        using (zip)
        {
            List<(ZipArchiveEntry Entry, string Path)> files;
            try { files = CheckedEntries(uploadName, zip); }
            catch (InvalidDataException e) { throw new UploadRefused($"'{uploadName}' is not a valid zip archive ({e.Message}); zip the plugin's folder and upload it again."); }

            // A zip of the folder itself (Name/Name.dll, ...) or of its contents (Name.dll, ...): drop one shared top folder.
            string? topFolder = SharedTopFolder(files.Select(f => f.Path));
            if (topFolder is not null) files = files.Select(f => (f.Entry, f.Path[(topFolder.Length + 1)..])).ToList();

            var topDlls = files.Select(f => f.Path).Where(p => !p.Contains('/') && p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).ToList();
            if (topDlls.Count == 0)
                throw new UploadRefused(files.Any(f => f.Path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
                    ? $"'{uploadName}' has no .dll at its top level: put the plugin's main DLL (Name.dll) at the root of the zip, or in one folder Name/."
                    : $"'{uploadName}' contains no .dll: a plugin zip holds the plugin's DLL (Name.dll) and its dependencies.");

            string mainDll = PickMainDll(uploadName, topFolder, topDlls);
            string pluginName = Path.GetFileNameWithoutExtension(mainDll);
            if (SafeName(pluginName, mainDll) != pluginName)
                throw new UploadRefused($"'{uploadName}': the main DLL '{mainDll}' needs a plain file name (letters, digits, '.', '_' or '-'): it becomes the plugin's folder name.");

            string root = Path.GetFullPath(Path.Combine(unpacked, pluginName)) + Path.DirectorySeparatorChar;
            Directory.CreateDirectory(root);
            long written = 0;
            foreach (var (entry, relative) in files)
            {
                string destination = Path.GetFullPath(Path.Combine(root, relative));
                // Second line of defence against zip-slip, after CheckedEntries: the resolved path must stay inside.
                if (!destination.StartsWith(root, StringComparison.Ordinal))
                    throw new UploadRefused($"'{uploadName}': entry '{entry.FullName}' would be written outside the plugin folder; nothing was installed.");
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                using (var source = entry.Open())
                using (var output = File.Create(destination))
                {
                    var buffer = new byte[81920];
                    int read;
                    while ((read = source.Read(buffer)) > 0)
                    {
                        // Entry lengths are the zip's own claims: count what really comes out.
                        written += read;
                        if (written > MaxBytes * MaxUnpackFactor)
                            throw new UploadRefused($"'{uploadName}' unpacks to more than {MaxMegabytes * MaxUnpackFactor} MB ({MaxUnpackFactor} × ScottLab:MaxUploadMegabytes); nothing was installed.");
                        output.Write(buffer, 0, read);
                    }
                }
            }
            return pluginName;
        }
    }

    /// <summary>The file entries with '/'-separated relative paths; refuses absolute paths, '..' and drive letters.</summary>
    private List<(ZipArchiveEntry, string)> CheckedEntries(string uploadName, ZipArchive zip)
    {
        if (zip.Entries.Count > MaxZipEntries)
            throw new UploadRefused($"'{uploadName}' has {zip.Entries.Count} entries, more than {MaxZipEntries}; a plugin folder is a few DLLs.");
        var files = new List<(ZipArchiveEntry, string)>();
        long claimed = 0;
        foreach (var entry in zip.Entries)
        {
            string path = entry.FullName.Replace('\\', '/');
            string[] segments = path.Split('/');
            if (path.StartsWith('/') || path.Contains(':') || segments.Any(s => s is ".." or "." ) || path.Contains('\0'))
                throw new UploadRefused($"'{uploadName}': entry '{entry.FullName}' has an absolute path or '..' and would be written outside the plugin folder; rejected, nothing was installed.");
            if (path.EndsWith('/')) continue; // a folder entry: folders are created for their files
            if (segments.Any(s => s.Length == 0))
                throw new UploadRefused($"'{uploadName}': entry '{entry.FullName}' has an empty path segment; rejected, nothing was installed.");
            claimed += entry.Length;
            if (claimed > MaxBytes * MaxUnpackFactor)
                throw new UploadRefused($"'{uploadName}' unpacks to more than {MaxMegabytes * MaxUnpackFactor} MB ({MaxUnpackFactor} × ScottLab:MaxUploadMegabytes); nothing was installed.");
            files.Add((entry, path));
        }
        return files;
    }

    private static string? SharedTopFolder(IEnumerable<string> paths)
    {
        string? top = null;
        foreach (var path in paths)
        {
            int slash = path.IndexOf('/');
            if (slash < 0) return null; // a file at the root
            string first = path[..slash];
            if (top is null) top = first;
            else if (top != first) return null;
        }
        return top;
    }

    /// <summary>The DLL named after the zip, else after its top folder, else the only DLL.</summary>
    private static string PickMainDll(string uploadName, string? topFolder, List<string> topDlls)
    {
        string zipName = Path.GetFileNameWithoutExtension(uploadName);
        foreach (var wanted in new[] { zipName, topFolder }.OfType<string>())
        {
            var match = topDlls.FirstOrDefault(d => string.Equals(Path.GetFileNameWithoutExtension(d), wanted, StringComparison.OrdinalIgnoreCase));
            if (match is not null) return match;
        }
        if (topDlls.Count == 1) return topDlls[0];
        throw new UploadRefused($"'{uploadName}' holds several DLLs ({string.Join(", ", topDlls.Order(StringComparer.Ordinal))}) and none is named after the zip: name the zip after the plugin's main DLL (e.g. {Path.GetFileNameWithoutExtension(topDlls[0])}.zip for {topDlls[0]}).");
    }

    /// <summary>A plugin folder name: letters, digits, '.', '_' and '-', not starting with '.'.</summary>
    private static string SafeName(string name, string what)
    {
        string safe = UnsafeChars().Replace(name, "_").TrimStart('.');
        if (safe.Length == 0 || safe.Length > 100)
            throw new UploadRefused($"'{what}': cannot make a plugin folder name from it; rename the file to letters, digits, '.', '_' or '-'.");
        return safe;
    }

    [GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial Regex UnsafeChars();

    private static void TryDelete(string folder)
    {
        try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private sealed class UploadRefused(string message) : Exception(message);
}
