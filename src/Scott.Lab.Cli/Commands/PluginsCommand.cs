using System.CommandLine;
using Scott.Lab.Plugins;

namespace Scott.Lab.Cli.Commands;

/// <summary><c>scott-lab plugins list</c>: every plugin found, with kind, id, version, file and status.</summary>
public static class PluginsCommand
{
    public static Command Create(TextWriter stdout)
    {
        var list = new Command("list", "List the plugins found in the plugin folders.");
        list.SetAction(parsed =>
        {
            var catalog = CliApp.LoadCatalog(parsed);
            stdout.WriteLine($"{"KIND",-10} {"ID",-22} {"VERSION",-8} {"STATUS",-7} FILE");
            foreach (var e in catalog.Entries.OrderBy(e => e.Kind).ThenBy(e => e.Id))
            {
                stdout.WriteLine($"{e.Kind?.ToString().ToLowerInvariant() ?? "-",-10} {e.Id,-22} {e.Version,-8} {e.Status.ToString().ToLowerInvariant(),-7} {e.AssemblyPath}");
                if (e.Status == PluginStatus.Loaded) stdout.WriteLine($"{"",-10} {e.Description}");
                else stdout.WriteLine($"{"",-10} error: {e.Error}");
            }
            return catalog.Entries.Any(e => e.Status == PluginStatus.Loaded) ? 0 : CliApp.ExitFailure;
        });
        return new Command("plugins", "Inspect plugins.") { list };
    }
}
