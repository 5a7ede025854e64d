using Microsoft.Extensions.Options;
using Scott.Lab.Plugins;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Plugins;

/// <summary>
/// The portal's plugin catalog: the built-in plugins, DATA/plugins (where uploads go) and the configured folders.
/// <see cref="Changed"/> fires when plugins appear, so that pages refresh.
/// </summary>
public sealed class PortalPlugins
{
    public PortalPlugins(IOptions<PortalOptions> options, PortalPaths paths)
    {
        UploadFolder = paths.PluginsDir;
        Directory.CreateDirectory(UploadFolder);
        Folders = [PluginCatalog.BuiltInFolder, UploadFolder, .. options.Value.PluginFolders.Select(paths.Resolve)];
        Catalog = PluginCatalog.Load(Folders);
    }

    public PluginCatalog Catalog { get; }
    public IReadOnlyList<string> Folders { get; }
    /// <summary>DATA/plugins: uploaded plugins are unpacked here, one subfolder each.</summary>
    public string UploadFolder { get; }

    public event Action? Changed;

    /// <summary>Loads plugin files that appeared since the last scan; returns how many entries were added.</summary>
    public int Rescan()
    {
        int added = Folders.Sum(folder => Catalog.Scan(folder).Count);
        if (added > 0) Changed?.Invoke();
        return added;
    }
}
