using System.CommandLine;
using System.Globalization;
using Scott.Lab.Abstractions.Plugins;
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
                if (e.Instance is IObjectivePlugin { AugmentDefaults.Count: > 0 } objective)
                    stdout.WriteLine($"{"",-10} augment recipe (where a config sets none): {Recipe(objective)}");
            }
            return catalog.Entries.Any(e => e.Status == PluginStatus.Loaded) ? 0 : CliApp.ExitFailure;
        });
        return new Command("plugins", "Inspect plugins.") { list };
    }

    /// <summary><c>color_p=0, crop_scale=[0.2, 1]</c>: the recipe as --set would write it.</summary>
    private static string Recipe(IObjectivePlugin objective) => string.Join(", ", objective.AugmentDefaults.Select(kv => kv.Value switch
    {
        double[] range => $"{kv.Key}=[{string.Join(", ", range.Select(v => v.ToString(CultureInfo.InvariantCulture)))}]",
        IFormattable number => $"{kv.Key}={number.ToString(null, CultureInfo.InvariantCulture)}",
        var other => $"{kv.Key}={other}",
    }));
}
