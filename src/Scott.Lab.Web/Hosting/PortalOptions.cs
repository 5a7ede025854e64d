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

    /// <summary>
    /// What runs a launched run's worker unless the launch says otherwise: "local" (a child process of the portal) or
    /// "slurm" (a batch job; see <see cref="Slurm"/> and docs/scale-out.md).
    /// </summary>
    public string Executor { get; set; } = "local";

    /// <summary>The Slurm executor's settings (ScottLab:Slurm:*).</summary>
    public Features.Sessions.SlurmOptions Slurm { get; set; } = new();

    /// <summary>Training sessions that may run at once on one device.</summary>
    public int MaxConcurrentRunsPerDevice { get; set; } = 1;

    /// <summary>
    /// How long a new plugin file's probe (<c>scott-lab plugins probe FILE</c>, in a child process) may take before
    /// the file is quarantined as hanging, in seconds.
    /// </summary>
    public int PluginProbeTimeoutSeconds { get; set; } = 120;

    /// <summary>
    /// Largest side, in pixels, of an image uploaded for the maps; checked from the image's header before it is
    /// decoded. A larger upload is refused (400) with its size.
    /// </summary>
    public int MaxUploadImageSide { get; set; } = Scott.Lab.Engine.Analysis.MapImaging.MaxInputSide;

    /// <summary>Largest image uploaded for the maps, in megapixels (width × height ÷ 1,000,000; at most 500).</summary>
    public int MaxUploadImageMegapixels { get; set; } = Scott.Lab.Abstractions.Data.ImageLimits.DefaultMaxMegapixels;

    /// <summary>Largest plugin upload, in MB.</summary>
    public int MaxUploadMegabytes { get; set; } = 64;

    /// <summary>Largest JSON body the API reads (a run spec), in KB; a larger one is refused with 400 and the limit.</summary>
    public int MaxJsonBodyKilobytes { get; set; } = 1024;

    /// <summary>
    /// Origins besides the portal's own that may send changes (POST, DELETE) from a browser, e.g. a reverse proxy's
    /// <c>https://lab.example.org</c>. See <see cref="CrossSiteGuard"/>.
    /// </summary>
    public List<string> TrustedOrigins { get; set; } = [];

    /// <summary>
    /// How workers report their runs: <c>http</c> (default) to the portal's ingest API, so that the portal is the only
    /// process that opens the LiteDB file; <c>store</c>: workers write the store themselves (shared mode, one machine).
    /// </summary>
    public string WorkerReporting { get; set; } = "http";

    /// <summary>
    /// The portal's address as workers reach it (e.g. <c>http://lab-head:5080</c> for workers on other nodes).
    /// Default: the address the portal listens on (0.0.0.0 and [::] become 127.0.0.1).
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>How long a worker waits at its end for the portal to take its last events, in seconds (they stay in its journal otherwise).</summary>
    public int WorkerFlushSeconds { get; set; } = 60;

    /// <summary>Largest weights file for Import weights, in MB (the paper's encoder is about 90 MB).</summary>
    public int MaxWeightsUploadMegabytes { get; set; } = 1024;
}
