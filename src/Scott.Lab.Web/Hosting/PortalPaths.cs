using Microsoft.Extensions.Options;

namespace Scott.Lab.Web.Hosting;

/// <summary>Absolute paths of the portal's data folder and what lives in it.</summary>
public sealed class PortalPaths(IOptions<PortalOptions> options, IHostEnvironment environment)
{
    /// <summary>ScottLab:DataDir, relative to the content root (the repository root), like the CLI resolves it.</summary>
    public string DataDir { get; } = Path.GetFullPath(Path.Combine(environment.ContentRootPath, options.Value.DataDir));
    public string PluginsDir => Path.Combine(DataDir, "plugins");
    public string RunsDir => Path.Combine(DataDir, "runs");
    public string ContentRoot => environment.ContentRootPath;
    public string Resolve(string path) => Path.GetFullPath(Path.Combine(environment.ContentRootPath, path));
}
