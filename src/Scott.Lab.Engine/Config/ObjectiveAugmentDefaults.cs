using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Engine.Data;
using Scott.Lab.Plugins;

namespace Scott.Lab.Engine.Config;

/// <summary>
/// Applies an objective's augmentation recipe (<see cref="IObjectivePlugin.AugmentDefaults"/>) to a config tree
/// before it is bound: only the <c>augment.*</c> keys the tree leaves out are filled, so the precedence is host
/// defaults &lt; objective recipe &lt; preset file &lt; <c>--set</c>, and the resolved config (config.yaml, the run
/// store) records the values a run used, which makes a re-run from it independent of the plugin's recipe.
/// </summary>
public static class ObjectiveAugmentDefaults
{
    /// <summary>The <c>augment:</c> keys (snake_case), as the config binds them.</summary>
    public static readonly IReadOnlySet<string> Keys = typeof(AugmentOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite).Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).ToHashSet(StringComparer.Ordinal);

    /// <summary>Fills the tree's augment section from the recipe of the objective it names; an unknown or failed objective is left for binding to report.</summary>
    public static void Fill(JsonObject tree, IReadOnlyList<PluginEntry> plugins)
    {
        if ((tree["objective"] as JsonObject)?["id"]?.ToString() is not { } id) return;
        var plugin = plugins.FirstOrDefault(e => e.Status == PluginStatus.Loaded && e.Kind == PluginKind.Objective && e.Id == id)?.Instance as IObjectivePlugin;
        if (plugin is null || plugin.AugmentDefaults.Count == 0) return;
        if (tree["augment"] is not JsonObject augment)
        {
            if (tree["augment"] is not null) return; // not a mapping: binding says so
            tree["augment"] = augment = new JsonObject();
        }
        FillSection(augment, plugin);
    }

    /// <summary>Fills the keys of an <c>augment:</c> section that it leaves out with <paramref name="plugin"/>'s recipe.</summary>
    public static void FillSection(JsonObject augment, IObjectivePlugin plugin)
    {
        foreach (var (key, value) in plugin.AugmentDefaults)
        {
            if (!Keys.Contains(key))
                throw new PluginException($"objective '{plugin.Id}' declares the augmentation default '{key}', which is not an augment key " +
                                          $"(allowed: {string.Join(", ", Keys.Order(StringComparer.Ordinal))}); fix the plugin's AugmentDefaults.");
            if (!augment.ContainsKey(key)) augment[key] = JsonSerializer.SerializeToNode(value, value.GetType());
        }
    }
}
