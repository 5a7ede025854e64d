using System.Text.Json.Nodes;
using Scott.Lab.Engine.Config;

namespace Scott.Lab.Web.Features.Experiments;

/// <summary>A config preset: configs/**/NAME.yaml, its tree, or why it could not be read.</summary>
public sealed record Preset(string Name, string RelativePath, JsonObject? Tree, string? Error)
{
    public string? Description { get; init; }
}

/// <summary>
/// The YAML presets under <c>configs/</c> of the content root, read with ConfigLoader.LoadTree (so a preset means
/// what it means to the CLI). Read on every call: presets are few and small, and edits show up without a restart.
/// A broken file becomes a preset with its error instead of failing the list.
/// </summary>
public sealed class Presets(string contentRoot)
{
    public string Folder { get; } = Path.Combine(contentRoot, "configs");

    public IReadOnlyList<Preset> List()
    {
        if (!Directory.Exists(Folder)) return [];
        var presets = new List<Preset>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var files = Directory.EnumerateFiles(Folder, "*.yaml", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Folder, "*.yml", SearchOption.AllDirectories))
            .Select(path => Path.GetRelativePath(Folder, path).Replace('\\', '/'))
            // configs/ssl first: the self-supervised presets are what a new experiment usually starts from.
            .OrderBy(rel => rel.StartsWith("ssl/", StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(rel => rel, StringComparer.Ordinal);
        foreach (string rel in files)
        {
            string name = Path.GetFileNameWithoutExtension(rel);
            // Names are test ids (preset-<name>): on a clash the later file gets its folder as a prefix.
            if (!names.Add(name)) name = rel[..rel.LastIndexOf('.')].Replace('/', '-');
            names.Add(name);
            presets.Add(Read(name, rel));
        }
        return presets;
    }

    public Preset? Find(string name) => List().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    private Preset Read(string name, string rel)
    {
        string path = Path.Combine(Folder, rel);
        try
        {
            var tree = ConfigLoader.LoadTree(path);
            return new Preset(name, "configs/" + rel, tree, null) { Description = FirstComment(path) };
        }
        catch (Exception e) // any broken file (bad YAML, odd keys, unreadable): show it, keep the others
        {
            return new Preset(name, "configs/" + rel, null, e is ConfigException ? e.Message : $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>The file's leading comment ("# Smoke run of seconds ..."), if any: a one-line description.</summary>
    private static string? FirstComment(string path)
    {
        foreach (string line in File.ReadLines(path).Take(5))
        {
            string trimmed = line.Trim();
            if (trimmed.StartsWith('#')) return trimmed.TrimStart('#').Trim();
            if (trimmed.Length > 0) break;
        }
        return null;
    }
}
