using Scott.Lab.Abstractions.Data;

namespace Scott.Lab.Datasets.ImageNet100;

/// <summary>The ImageNet folder layout and the class lists that pick 100 classes from it.</summary>
public static class ImageNet100Layout
{
    /// <summary>
    /// Manifest name of the built-in list: <c>imagenet100.txt</c> of Contrastive Multiview Coding (Tian, Krishnan
    /// &amp; Isola, 2019; github.com/HobbitLong/CMC), the ImageNet-100 that later self-supervised work reports on.
    /// Its 100 WordNet ids are copied unchanged, in the file's order.
    /// </summary>
    public const string BuiltInListResource = "Scott.Lab.Datasets.ImageNet100.imagenet100.txt";
    public const string BuiltInListName = "the built-in CMC ImageNet-100 list";

    public const string ExpectedLayout =
        "Expected train/<wnid>/*.JPEG and val/<wnid>/*.JPEG (the ILSVRC-2012 training images as unpacked per class, and "
        + "the validation images sorted into one folder per class), for every WordNet id of the class list; "
        + "download from https://image-net.org/ (ILSVRC2012_img_train.tar, ILSVRC2012_img_val.tar)";

    /// <summary>The 100 WordNet ids of the built-in list, in the file's order.</summary>
    public static IReadOnlyList<string> BuiltInClasses { get; } = LoadBuiltIn();

    private static List<string> LoadBuiltIn()
    {
        using var stream = typeof(ImageNet100Layout).Assembly.GetManifestResourceStream(BuiltInListResource)
            ?? throw new DatasetException($"Embedded resource {BuiltInListResource} is missing; the plugin was built without its class list.");
        using var reader = new StreamReader(stream);
        return ParseClassList(reader.ReadToEnd(), BuiltInListName);
    }

    /// <summary>Reads a class list file, or a DatasetException naming it.</summary>
    public static List<string> ReadClassList(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DatasetException($"dataset.options.class_list: file not found: {path}. Give a text file with one WordNet id (e.g. n01558993) per line.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"dataset.options.class_list: {path} could not be read: {e.Message}", e);
        }
        return ParseClassList(text, path);
    }

    /// <summary>One class per line; blank lines and '#' comments are skipped; duplicates are errors.</summary>
    public static List<string> ParseClassList(string text, string source)
    {
        var classes = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (raw, number) in text.Split('\n').Select((line, i) => (line, i + 1)))
        {
            string line = raw.Trim();
            int comment = line.IndexOf('#');
            if (comment >= 0) line = line[..comment].Trim();
            if (line.Length == 0) continue;
            if (line.Any(char.IsWhiteSpace) || line.Contains('/') || line.Contains('\\'))
                throw new DatasetException($"{source}:{number}: '{line}' is not a class folder name; put one WordNet id (e.g. n01558993) per line.");
            if (!seen.Add(line))
                throw new DatasetException($"{source}:{number}: class '{line}' is listed twice.");
            classes.Add(line);
        }
        if (classes.Count == 0)
            throw new DatasetException($"{source} lists no classes; put one WordNet id (e.g. n01558993) per line.");
        return classes;
    }
}
