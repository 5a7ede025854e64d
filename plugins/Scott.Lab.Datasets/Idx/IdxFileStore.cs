using System.Reflection;
using Scott.Lab.Abstractions.Data;

namespace Scott.Lab.Datasets.Idx;

/// <summary>Where a dataset's IDX files live: named by stem (<c>train-images-idx3-ubyte</c>), found as <c>stem.gz</c> or <c>stem</c>.</summary>
public abstract class IdxFileStore
{
    public abstract IdxImages ReadImages(string stem);
    public abstract IdxLabels ReadLabels(string stem);
}

/// <summary>IDX files in a folder; each stem may be gzipped (<c>stem.gz</c>, preferred) or plain (<c>stem</c>).</summary>
public sealed class FolderIdxFileStore(string root) : IdxFileStore
{
    public string Root { get; } = root;

    /// <summary>The path of <paramref name="stem"/> in <paramref name="root"/> (.gz first, then plain), or null.</summary>
    public static string? Find(string root, string stem)
    {
        foreach (var candidate in new[] { Path.Combine(root, stem + ".gz"), Path.Combine(root, stem) })
            if (File.Exists(candidate)) return candidate;
        return null;
    }

    public override IdxImages ReadImages(string stem) => IdxFile.ReadImages(PathOf(stem));
    public override IdxLabels ReadLabels(string stem) => IdxFile.ReadLabels(PathOf(stem));

    private string PathOf(string stem) =>
        Find(Root, stem) ?? throw new DatasetException($"IDX file not found: {Path.Combine(Root, stem + ".gz")} (nor uncompressed {stem}).");
}

/// <summary>Gzipped IDX files embedded in an assembly as <c>{prefix}{stem}.gz</c>.</summary>
public sealed class ResourceIdxFileStore(Assembly assembly, string prefix) : IdxFileStore
{
    public override IdxImages ReadImages(string stem)
    {
        var name = prefix + stem + ".gz";
        using var stream = Open(name);
        return IdxFile.ReadImages(stream, $"embedded resource {name}");
    }

    public override IdxLabels ReadLabels(string stem)
    {
        var name = prefix + stem + ".gz";
        using var stream = Open(name);
        return IdxFile.ReadLabels(stream, $"embedded resource {name}");
    }

    private Stream Open(string name) =>
        assembly.GetManifestResourceStream(name)
        ?? throw new DatasetException($"Embedded resource {name} is missing from {assembly.GetName().Name}; the plugin was built without its sample files.");
}
