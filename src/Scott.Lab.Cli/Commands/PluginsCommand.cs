using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Engine.Config;
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
                if (e.Instance is IObjectivePlugin objective && Recipe(objective) is { Length: > 0 } recipe)
                    stdout.WriteLine($"{"",-10} augment recipe (where a config sets none): {recipe}");
            }
            return catalog.Entries.Any(e => e.Status == PluginStatus.Loaded) ? 0 : CliApp.ExitFailure;
        });
        return new Command("plugins", "Inspect plugins.") { list };
    }

    /// <summary><c>color_p=0, crop_scale=[0.2, 1]</c>: the recipe as --set would write it.</summary>
    private static string Recipe(IObjectivePlugin objective)
    {
        try
        {
            return string.Join(", ", ObjectiveAugmentDefaults.Entries(objective).Select(kv => kv.Value switch
            {
                JsonArray range => $"{kv.Key}=[{string.Join(", ", range.Select(v => Number(v!)))}]",
                var number => $"{kv.Key}={Number(number)}",
            }));
        }
        catch (PluginException e)
        {
            return "invalid: " + e.Message;
        }
    }

    private static string Number(JsonNode value) => value.GetValue<double>().ToString(CultureInfo.InvariantCulture);
}
