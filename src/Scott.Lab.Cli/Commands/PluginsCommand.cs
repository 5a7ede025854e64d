using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Engine.Config;
using Scott.Lab.Plugins;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab plugins list</c>: every plugin found, with kind, id, version, file and status.
/// <c>scott-lab plugins probe FILE</c>: loads one plugin file and creates its plugins, as the catalog does, then
/// prints <see cref="PluginProber.CompleteMarker"/>; the portal runs it in a child process before it loads a new
/// file itself, and quarantines the file when this process does not get to the end.
/// </summary>
public static class PluginsCommand
{
    public static Command Create(TextWriter stdout)
    {
        var list = new Command("list", "List the plugins found in the plugin folders.");
        list.SetAction(parsed =>
        {
            var catalog = CliApp.LoadCatalog(parsed);
            stdout.WriteLine($"{"KIND",-10} {"ID",-22} {"VERSION",-8} {"STATUS",-11} FILE");
            foreach (var e in catalog.Entries.OrderBy(e => e.Kind).ThenBy(e => e.Id))
            {
                stdout.WriteLine($"{e.Kind?.ToString().ToLowerInvariant() ?? "-",-10} {e.Id,-22} {e.Version,-8} {e.Status.ToString().ToLowerInvariant(),-11} {e.AssemblyPath}");
                if (e.Status == PluginStatus.Loaded) stdout.WriteLine($"{"",-10} {e.Description}");
                else stdout.WriteLine($"{"",-10} error: {e.Error}");
                if (e.Instance is IObjectivePlugin objective && Recipe(objective) is { Length: > 0 } recipe)
                    stdout.WriteLine($"{"",-10} augment recipe (where a config sets none): {recipe}");
            }
            return catalog.Entries.Any(e => e.Status == PluginStatus.Loaded) ? 0 : CliApp.ExitFailure;
        });
        var file = new Argument<string>("file") { Description = "The plugin DLL." };
        var probe = new Command("probe", "Load one plugin file and create its plugins (the portal runs this in a child process before loading a new file).") { file };
        probe.SetAction(parsed =>
        {
            string path = Path.GetFullPath(parsed.GetValue(file)!);
            if (!File.Exists(path)) throw new IOException($"plugin file not found: {path}");
            var entries = new PluginCatalog().LoadFile(path);
            foreach (var e in entries)
                stdout.WriteLine($"{e.Status.ToString().ToLowerInvariant()} {e.Kind?.ToString().ToLowerInvariant() ?? "-"} {e.Id}{(e.Error is null ? "" : ": " + e.Error)}");
            int loaded = entries.Count(e => e.Status == PluginStatus.Loaded);
            stdout.WriteLine($"{PluginProber.CompleteMarker} {loaded} loaded, {entries.Count - loaded} failed");
            stdout.Flush();
            return loaded > 0 ? 0 : CliApp.ExitFailure;
        });
        return new Command("plugins", "Inspect plugins.") { list, probe };
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
