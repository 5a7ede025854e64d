namespace Scott.Lab.Web.Hosting;

/// <summary>The portal's settings: the <c>ScottLab</c> section of the root appsettings.json (or ScottLab__* variables).</summary>
public sealed class PortalOptions
{
    public const string Section = "ScottLab";

    /// <summary>Data folder (LiteDB file, runs/, uploaded plugins); shared with the CLI. Relative to the content root.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>Extra plugin folders, watched for new plugins. The built-in plugins and DATA/plugins are always loaded.</summary>
    public List<string> PluginFolders { get; set; } = [];

    /// <summary>Needed for launching, cancelling, uploading and deleting when the portal listens beyond loopback.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Training sessions that may run at once on one device.</summary>
    public int MaxConcurrentRunsPerDevice { get; set; } = 1;

    /// <summary>Largest plugin upload, in MB.</summary>
    public int MaxUploadMegabytes { get; set; } = 64;

    /// <summary>Largest JSON body the API reads (a run spec), in KB; a larger one is refused with 413.</summary>
    public int MaxJsonBodyKilobytes { get; set; } = 1024;

    /// <summary>
    /// Origins besides the portal's own that may send changes (POST, DELETE) from a browser, e.g. a reverse proxy's
    /// <c>https://lab.example.org</c>. See <see cref="CrossSiteGuard"/>.
    /// </summary>
    public List<string> TrustedOrigins { get; set; } = [];
}
