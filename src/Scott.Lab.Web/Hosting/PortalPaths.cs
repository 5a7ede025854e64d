using Microsoft.Extensions.Options;
using Scott.Lab.Engine.Hosting;

namespace Scott.Lab.Web.Hosting;

/// <summary>
/// The portal's host environment: the <see cref="LabEnvironment"/> it shares with the CLI (data folder, plugin
/// folders by kind), built from the ScottLab settings relative to the content root (the repository root).
/// </summary>
public sealed class PortalPaths(IOptions<PortalOptions> options, IHostEnvironment environment)
{
    public LabEnvironment Environment { get; } = LabEnvironment.FromSettings(environment.ContentRootPath, options.Value.DataDir, options.Value.PluginFolders);
    public string DataDir => Environment.DataDir;
    public string PluginsDir => Environment.UploadedPluginsDir;
    public string RunsDir => Environment.RunsDir;
    public string ContentRoot => environment.ContentRootPath;
    public string Resolve(string path) => Path.GetFullPath(Path.Combine(environment.ContentRootPath, path));
}
