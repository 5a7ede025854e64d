namespace Scott.Lab.Datasets.Imaging;

/// <summary>Which files in a folder are images, listed in a stable order.</summary>
public static class ImageFiles
{
    /// <summary>Extensions read as images (case-insensitive): what the decoder reads.</summary>
    public static IReadOnlySet<string> Extensions { get; } =
        new HashSet<string>([".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"], StringComparer.OrdinalIgnoreCase);

    public const string ExtensionList = ".jpg, .jpeg, .png, .bmp, .gif, .webp";

    /// <summary>
    /// Whether <paramref name="path"/> names an image: a known extension and not hidden. Hidden files are skipped
    /// because macOS copies leave "._name.jpg" resource forks beside every image, which are not images.
    /// </summary>
    public static bool IsImage(string path)
    {
        string name = Path.GetFileName(path);
        return !name.StartsWith('.') && Extensions.Contains(Path.GetExtension(name));
    }

    /// <summary>The images under <paramref name="folder"/> and its subfolders, sorted by ordinal path.</summary>
    public static List<string> Under(string folder)
    {
        var files = Directory.EnumerateFiles(folder, "*", new EnumerationOptions
            {
                RecurseSubdirectories = true,
                IgnoreInaccessible = false,
                AttributesToSkip = 0,
                MatchType = MatchType.Simple,
            })
            .Where(IsImage)
            .ToList();
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>The subfolders of <paramref name="folder"/> (hidden ones left out), sorted ordinally by name.</summary>
    public static List<string> Subfolders(string folder)
    {
        var names = Directory.EnumerateDirectories(folder)
            .Select(Path.GetFileName)
            .Where(name => !string.IsNullOrEmpty(name) && !name.StartsWith('.'))
            .Select(name => name!)
            .ToList();
        names.Sort(StringComparer.Ordinal);
        return names;
    }
}
