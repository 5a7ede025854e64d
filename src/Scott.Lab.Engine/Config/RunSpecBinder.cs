using System.Reflection;
using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Engine.Data;
using Scott.Lab.Plugins;

namespace Scott.Lab.Engine.Config;

/// <summary>What <see cref="RunSpecBinder"/> found: every problem, or the bound spec and its resolved tree.</summary>
public sealed record SpecBinding(IReadOnlyList<SpecProblem> Problems, RunSpec? Spec, JsonObject? Resolved)
{
    public bool IsValid => Problems.Count == 0 && Spec is not null;
}

/// <summary>
/// The one place where a run spec is bound: a config tree (a YAML preset with its --set overrides, the portal's
/// form, a POST /api/runs body, a stored run's document) becomes a <see cref="RunSpec"/>. The objective's
/// augmentation recipe first fills the augment keys the tree leaves out; then every section and every plugin's
/// options are bound to their types and validated, each on its own, so that all problems are reported at once
/// under their keys. Nothing is opened or built here; what this cannot see (a dataset folder that is missing, a
/// tokenizer that rejects a geometry) surfaces when <see cref="RunBuilder"/> builds the run.
/// </summary>
public static class RunSpecBinder
{
    private static readonly (string Key, PluginKind Kind)[] PluginSections =
        [("dataset", PluginKind.Dataset), ("tokenizer", PluginKind.Tokenizer), ("objective", PluginKind.Objective)];

    /// <summary>Binds <paramref name="tree"/>, or throws a <see cref="ConfigException"/> with every problem.</summary>
    public static RunSpec BindOrThrow(JsonObject tree, PluginCatalog catalog) => BindOrThrow(tree, catalog.Entries);

    public static RunSpec BindOrThrow(JsonObject tree, IReadOnlyList<PluginEntry> plugins)
    {
        var binding = Bind(tree, plugins);
        return binding.IsValid ? binding.Spec! : throw new ConfigException(binding.Problems);
    }

    public static SpecBinding Bind(JsonObject tree, PluginCatalog catalog) => Bind(tree, catalog.Entries);

    /// <summary>
    /// Binds the host's sections only (model, optimizer, trainer, augment, the plugin ids), leaving each plugin's
    /// options as written, for tools that have no catalog (they are bound when <see cref="RunBuilder"/> builds the
    /// run). Without an augment section, <see cref="RunSpec.Augment"/> stays null, so the objective's recipe still
    /// applies at build time; an augment section given here is taken as complete.
    /// </summary>
    public static RunSpec BindWithoutPlugins(JsonObject tree)
    {
        var binding = Bind(tree, plugins: null);
        return binding.IsValid ? binding.Spec! : throw new ConfigException(binding.Problems);
    }

    /// <summary>Binds <paramref name="spec"/>; with <paramref name="plugins"/> null, see <see cref="BindWithoutPlugins"/>.</summary>
    public static SpecBinding Bind(JsonObject spec, IReadOnlyList<PluginEntry>? plugins)
    {
        var problems = new List<SpecProblem>();
        spec = (JsonObject)spec.DeepClone(); // the caller's spec stays as given
        if (plugins is not null)
        {
            try { ObjectiveAugmentDefaults.Fill(spec, plugins); }
            catch (PluginException e) { problems.Add(new("objective.id", e.Message)); }
        }
        var config = new RunSpec();
        var sections = WritableProperties(typeof(RunSpec));
        var retired = RetiredKeys.Problems(spec).ToList();
        problems.AddRange(retired);
        if (retired.Count > 0) RetiredKeys.Strip(spec); // reported once, not again as an unknown key

        // Each top-level section is bound on its own, so one bad section does not hide the others' problems.
        foreach (var (key, node) in spec)
        {
            if (!sections.TryGetValue(key, out var property))
            {
                problems.Add(new(key, $"unknown key (allowed: {string.Join(", ", sections.Keys)})"));
                continue;
            }
            if (node is null) continue; // an empty section: the defaults
            if (property.PropertyType == typeof(string))
            {
                if (node is JsonValue v && v.TryGetValue(out string? text)) property.SetValue(config, text);
                else problems.Add(new(key, "must be a string"));
                continue;
            }
            if (Bind(node, property.PropertyType, key, problems) is { } bound) property.SetValue(config, bound);
        }

        if (plugins is not null) config.Augment ??= new AugmentOptions(); // no section: the host's defaults (the recipe, if any, made one above)
        foreach (var (key, value) in new (string, object?)[]
                 { ("model", config.Model), ("optimizer", config.Optimizer), ("trainer", config.Trainer), ("augment", config.Augment) })
            if (value is not null) problems.AddRange(OptionsValidator.Validate(value, key));

        IScottLabPlugin? objective = null;
        foreach (var (key, kind) in PluginSections)
        {
            var selection = (PluginSelection)typeof(RunSpec).GetProperty(Capitalize(key))!.GetValue(config)!;
            if (string.IsNullOrWhiteSpace(selection.Id))
            {
                problems.Add(new($"{key}.id", "is required (a plugin id; see `scott-lab plugins list`)"));
                continue;
            }
            if (plugins is null) continue; // host sections only
            var plugin = Resolve(plugins, kind, selection.Id, $"{key}.id", problems);
            if (plugin is null) continue;
            if (kind == PluginKind.Objective) objective = plugin;
            selection.Bound = BindOptions(plugin.OptionsType, selection.Options, $"{key}.options", problems);
        }

        // The one cross-section rule RunBuilder applies before opening the dataset.
        if (objective is IObjectivePlugin { TrainsOnLabels: false } && config.Trainer.LabelsPerClass is not null)
            problems.Add(new("trainer.labels_per_class", $"objective '{objective.Id}' does not train on labels; remove the key (it applies to label-trained objectives such as 'supervised')."));

        if (problems.Count > 0) return new SpecBinding(problems.Distinct().ToList(), null, null);
        if (plugins is null) return new SpecBinding([], config, null);
        config.BoundWith = plugins;
        return new SpecBinding([], config, config.ToTree());
    }

    /// <summary>One plugin's options on their own (e.g. `datasets inspect`), bound and checked as in a spec.</summary>
    public static object BindOptions(Type optionsType, JsonObject? options, string keyPrefix)
    {
        var problems = new List<SpecProblem>();
        var bound = BindOptions(optionsType, options, keyPrefix, problems);
        return problems.Count == 0 && bound is not null ? bound : throw new ConfigException(problems);
    }

    /// <summary>The options bound and validated (null options: the defaults); null when they do not bind.</summary>
    private static object? BindOptions(Type optionsType, JsonObject? options, string keyPrefix, List<SpecProblem> problems)
    {
        object? bound = options is null ? Activator.CreateInstance(optionsType) : Bind(options, optionsType, keyPrefix, problems);
        if (bound is null) return null;
        int before = problems.Count;
        problems.AddRange(OptionsValidator.Validate(bound, keyPrefix));
        return problems.Count == before ? bound : null;
    }

    /// <summary>
    /// Binds a mapping key by key first (System.Text.Json stops at the first error, and a form wants all of them),
    /// then as a whole. Returns null when any key is wrong.
    /// </summary>
    private static object? Bind(JsonNode node, Type type, string prefix, List<SpecProblem> problems)
    {
        if (node is not JsonObject map)
        {
            problems.Add(new(prefix, "must be a mapping of keys to values"));
            return null;
        }
        int before = problems.Count;
        foreach (var (key, value) in map)
        {
            var single = new JsonObject { [key] = value?.DeepClone() };
            var (_, where, message) = ConfigLoader.TryDeserialize(single, type, prefix);
            if (message.Length > 0) problems.Add(new(where, message));
        }
        if (problems.Count > before) return null;
        var (bound, key2, message2) = ConfigLoader.TryDeserialize(map, type, prefix);
        if (bound is null) problems.Add(new(key2, message2));
        return bound;
    }

    private static IScottLabPlugin? Resolve(IReadOnlyList<PluginEntry> plugins, PluginKind kind, string id, string key, List<SpecProblem> problems)
    {
        var match = plugins.FirstOrDefault(e => e.Status == PluginStatus.Loaded && e.Kind == kind && e.Id == id);
        if (match?.Instance is { } plugin) return plugin;
        problems.Add(new(key, PluginCatalog.Missing(plugins, kind, id)));
        return null;
    }

    private static Dictionary<string, PropertyInfo> WritableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite)
            .ToDictionary(p => OptionsValidator.Key("", p.Name), StringComparer.OrdinalIgnoreCase);

    private static string Capitalize(string key) => char.ToUpperInvariant(key[0]) + key[1..];
}
