using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Engine.Data;
using Scott.Lab.Plugins;

namespace Scott.Lab.Engine.Config;

/// <summary>
/// Applies an objective's augmentation recipe (<see cref="IObjectivePlugin.Augmentation"/>) to a config tree
/// before it is bound: only the <c>augment.*</c> keys the tree leaves out are filled, so the precedence is host
/// defaults &lt; objective recipe &lt; preset file &lt; <c>--set</c>, and the resolved config (config.yaml, the run
/// store) records the values a run used, which makes a re-run from it independent of the plugin's recipe.
/// </summary>
public static class ObjectiveAugmentDefaults
{
    /// <summary>The <c>augment:</c> keys (snake_case), as the config binds them.</summary>
    public static readonly IReadOnlySet<string> Keys = typeof(AugmentOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite).Select(p => Key(p.Name)).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Each <see cref="AugmentRecipe"/> property with its <c>augment:</c> key, in <see cref="AugmentOptions"/>' order
    /// (the order config.yaml lists them in). A key added to AugmentOptions needs a recipe property and a line here:
    /// a test checks that the three agree.
    /// </summary>
    private static readonly (string Key, Func<AugmentRecipe, JsonNode?> Value)[] Properties =
    [
        (Key(nameof(AugmentOptions.CropScale)), r => Range(r.CropScale)),
        (Key(nameof(AugmentOptions.FlipP)), r => Number(r.FlipP)),
        (Key(nameof(AugmentOptions.ColorP)), r => Number(r.ColorP)),
        (Key(nameof(AugmentOptions.JitterP)), r => Number(r.JitterP)),
        (Key(nameof(AugmentOptions.Brightness)), r => Number(r.Brightness)),
        (Key(nameof(AugmentOptions.Contrast)), r => Number(r.Contrast)),
        (Key(nameof(AugmentOptions.Saturation)), r => Number(r.Saturation)),
        (Key(nameof(AugmentOptions.Hue)), r => Number(r.Hue)),
        (Key(nameof(AugmentOptions.GrayP)), r => Number(r.GrayP)),
        (Key(nameof(AugmentOptions.BlurP)), r => Number(r.BlurP)),
        (Key(nameof(AugmentOptions.BlurSigma)), r => Range(r.BlurSigma)),
    ];

    /// <summary>Fills the tree's augment section from the recipe of the objective it names; an unknown or failed objective is left for binding to report.</summary>
    public static void Fill(JsonObject tree, IReadOnlyList<PluginEntry> plugins)
    {
        if ((tree["objective"] as JsonObject)?["id"]?.ToString() is not { } id) return;
        var plugin = plugins.FirstOrDefault(e => e.Status == PluginStatus.Loaded && e.Kind == PluginKind.Objective && e.Id == id)?.Instance as IObjectivePlugin;
        if (plugin is null || Entries(plugin).Count == 0) return;
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
        foreach (var (key, value) in Entries(plugin))
            if (!augment.ContainsKey(key)) augment[key] = value;
    }

    /// <summary>
    /// The keys <paramref name="plugin"/>'s recipe sets, with their values as a config writes them (<c>0.2</c>,
    /// <c>[0.2, 1.0]</c>), in AugmentOptions' order; empty for the host's defaults.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, JsonNode>> Entries(IObjectivePlugin plugin) =>
        RecipeOf(plugin) is { } recipe ? Entries(recipe) : [];

    /// <inheritdoc cref="Entries(IObjectivePlugin)"/>
    public static IReadOnlyList<KeyValuePair<string, JsonNode>> Entries(AugmentRecipe recipe) =>
        Properties.Select(p => (p.Key, Value: p.Value(recipe))).Where(p => p.Value is not null)
            .Select(p => KeyValuePair.Create(p.Key, p.Value!)).ToList();

    /// <summary>
    /// The objective's recipe: <see cref="IObjectivePlugin.Augmentation"/>, or, for an objective built against
    /// the earlier contract (before the typed recipe), the <c>AugmentDefaults</c> dictionary of <c>augment.*</c> keys it declared then.
    /// </summary>
    /// <exception cref="PluginException">The old dictionary names a key the host does not know, or a value of the wrong shape.</exception>
    public static AugmentRecipe? RecipeOf(IObjectivePlugin plugin) => plugin.Augmentation ?? LegacyRecipe(plugin);

    // ---- Objectives built against the earlier contract (before the typed recipe) ----
    // They declared their recipe as `IReadOnlyDictionary<string, object> AugmentDefaults` (implemented implicitly, a
    // public property of the plugin class). The member has left the contract, but the property is still on their
    // class: read it by name and type so that such a DLL keeps its recipe, with the checks the host made then.

    private const string LegacyMember = "AugmentDefaults";

    private static AugmentRecipe? LegacyRecipe(IObjectivePlugin plugin)
    {
        var property = plugin.GetType().GetProperty(LegacyMember, BindingFlags.Public | BindingFlags.Instance, null, typeof(IReadOnlyDictionary<string, object>), [], null);
        if (property?.GetValue(plugin) is not IReadOnlyDictionary<string, object> { Count: > 0 } keys) return null;
        var recipe = new AugmentRecipe();
        var byKey = typeof(AugmentRecipe).GetProperties().ToDictionary(p => Key(p.Name), StringComparer.Ordinal);
        foreach (var (key, value) in keys)
        {
            if (!byKey.TryGetValue(key, out var target))
                throw new PluginException($"objective '{plugin.Id}' declares the augmentation default '{key}', which is not an augment key " +
                                          $"(allowed: {string.Join(", ", Keys.Order(StringComparer.Ordinal))}); fix the plugin's {LegacyMember}.");
            object? typed = (Nullable.GetUnderlyingType(target.PropertyType), value) switch
            {
                (var t, double[] { Length: 2 } range) when t == typeof(AugmentRange) => new AugmentRange(range[0], range[1]),
                (var t, IConvertible number and not string) when t == typeof(double) => Convert.ToDouble(number, System.Globalization.CultureInfo.InvariantCulture),
                _ => throw new PluginException($"objective '{plugin.Id}' declares the augmentation default '{key}' = {value}, which is not " +
                                               $"{(target.PropertyType == typeof(AugmentRange?) ? "a [min, max] double[]" : "a number")}; fix the plugin's {LegacyMember}."),
            };
            target.SetValue(recipe, typed);
        }
        return recipe;
    }

    private static string Key(string property) => JsonNamingPolicy.SnakeCaseLower.ConvertName(property);

    private static JsonNode? Number(double? value) => value is { } v ? JsonSerializer.SerializeToNode(v) : null;

    private static JsonNode? Range(AugmentRange? range) => range is { } r ? JsonSerializer.SerializeToNode(new[] { r.Min, r.Max }) : null;
}
