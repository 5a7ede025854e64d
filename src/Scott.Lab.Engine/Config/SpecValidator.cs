using System.Reflection;
using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Engine.Training;
using Scott.Lab.Plugins;

namespace Scott.Lab.Engine.Config;

/// <summary>A problem with one key of a spec, e.g. (<c>optimizer.lr</c>, <c>must be between 0 (exclusive) and 10, got -1</c>).</summary>
public sealed record SpecProblem(string Key, string Message)
{
    public override string ToString() => $"{Key}: {Message}";
}

/// <summary>What <see cref="SpecValidator"/> found: every problem, or the bound config and its resolved tree.</summary>
public sealed record SpecValidation(IReadOnlyList<SpecProblem> Problems, RunConfig? Config, JsonObject? Resolved)
{
    public bool IsValid => Problems.Count == 0 && Resolved is not null;
}

/// <summary>
/// Checks a spec (a run config tree in the presets' shape) against the plugin catalog without opening datasets or
/// building modules, so that a form or the REST API can show every problem at once, each under its key. Binding
/// is the CLI's (<see cref="ConfigLoader"/>, <see cref="OptionsValidator"/>); what it cannot see (a dataset
/// folder that is missing, a tokenizer that rejects a geometry) still surfaces when the worker builds the run.
/// </summary>
public static class SpecValidator
{
    private static readonly (string Key, PluginKind Kind)[] PluginSections =
        [("dataset", PluginKind.Dataset), ("tokenizer", PluginKind.Tokenizer), ("objective", PluginKind.Objective)];

    public static SpecValidation Validate(JsonObject spec, PluginCatalog catalog) => Validate(spec, catalog.Entries);

    public static SpecValidation Validate(JsonObject spec, IReadOnlyList<PluginEntry> plugins)
    {
        var problems = new List<SpecProblem>();
        spec = (JsonObject)spec.DeepClone(); // the caller's spec stays as given
        try { ObjectiveAugmentDefaults.Fill(spec, plugins); }
        catch (PluginException e) { problems.Add(new("objective.id", e.Message)); }
        var config = new RunConfig();
        var sections = WritableProperties(typeof(RunConfig));

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

        foreach (var (key, value) in new (string, object)[]
                 { ("model", config.Model), ("optimizer", config.Optimizer), ("trainer", config.Trainer), ("augment", config.Augment) })
            Add(problems, OptionsValidator.ValidateKeyed(value, key));

        var options = new Dictionary<string, object>();
        IScottLabPlugin? objective = null;
        foreach (var (key, kind) in PluginSections)
        {
            var selection = (PluginSelection)typeof(RunConfig).GetProperty(Capitalize(key))!.GetValue(config)!;
            if (string.IsNullOrWhiteSpace(selection.Id))
            {
                problems.Add(new($"{key}.id", "is required (a plugin id; see `scott-lab plugins list`)"));
                continue;
            }
            var plugin = Resolve(plugins, kind, selection.Id, $"{key}.id", problems);
            if (plugin is null) continue;
            if (kind == PluginKind.Objective) objective = plugin;
            string prefix = $"{key}.options";
            object? bound = selection.Options is null ? Activator.CreateInstance(plugin.OptionsType) : Bind(selection.Options, plugin.OptionsType, prefix, problems);
            if (bound is null) continue;
            Add(problems, OptionsValidator.ValidateKeyed(bound, prefix));
            options[key] = bound;
        }

        // The one cross-section rule RunBuilder applies before opening the dataset.
        if (objective is IObjectivePlugin { TrainsOnLabels: false } && config.Trainer.LabelsPerClass is not null)
            problems.Add(new("trainer.labels_per_class", $"objective '{objective.Id}' does not train on labels; remove the key (it applies to label-trained objectives such as 'supervised')."));

        if (problems.Count > 0) return new SpecValidation(Distinct(problems), null, null);
        var resolved = RunBuilder.Resolve(config, options["dataset"], options["tokenizer"], options["objective"]);
        return new SpecValidation([], config, resolved);
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
        string kindName = kind.ToString().ToLowerInvariant();
        var failed = plugins.FirstOrDefault(e => e.Status == PluginStatus.Failed && (e.Kind == kind || e.Kind is null) && e.Id == id);
        if (failed is not null)
        {
            problems.Add(new(key, $"plugin '{id}' failed to load: {failed.Error}"));
            return null;
        }
        var available = plugins.Where(e => e.Status == PluginStatus.Loaded && e.Kind == kind).Select(e => e.Id).Order(StringComparer.Ordinal).ToList();
        problems.Add(new(key, $"unknown {kindName} '{id}'. Available: {(available.Count > 0 ? string.Join(", ", available) : "none (no " + kindName + " plugin is loaded)")}"));
        return null;
    }

    private static Dictionary<string, PropertyInfo> WritableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite)
            .ToDictionary(p => OptionsValidator.Key("", p.Name), StringComparer.OrdinalIgnoreCase);

    private static string Capitalize(string key) => char.ToUpperInvariant(key[0]) + key[1..];

    private static void Add(List<SpecProblem> problems, IEnumerable<(string Key, string Message)> found) =>
        problems.AddRange(found.Select(p => new SpecProblem(p.Key, p.Message)));

    private static List<SpecProblem> Distinct(List<SpecProblem> problems) => problems.Distinct().ToList();
}
