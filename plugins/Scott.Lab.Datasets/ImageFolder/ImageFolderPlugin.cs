using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Datasets.Imaging;

namespace Scott.Lab.Datasets.ImageFolder;

/// <summary>
/// Any images sorted into one folder per class, as torchvision's ImageFolder reads them. Two layouts:
/// <list type="bullet">
/// <item><b>classes</b>: <c>ROOT/&lt;class&gt;/**/&lt;image&gt;</c>, one split "train" (Train);</item>
/// <item><b>splits</b>, chosen when ROOT has a <c>train/</c> folder and no folders other than <c>train/</c>,
/// <c>val/</c> and <c>test/</c>: <c>ROOT/train/&lt;class&gt;/</c> (Train), and when present <c>ROOT/val/&lt;class&gt;/</c>
/// (Validation) and <c>ROOT/test/&lt;class&gt;/</c> (Test). The classes are train's; val and test may not add any.</item>
/// </list>
/// Classes are the folder names sorted ordinally (label = position). Images are found in subfolders too. Pre-training
/// uses every split.
/// </summary>
public sealed class ImageFolderPlugin : PluginBase<ImageFolderOptions>, IDatasetPlugin
{
    public const string ExpectedLayout =
        "Expected ROOT/<class>/<image> (one split) or ROOT/train/<class>/<image> with optional ROOT/val/<class>/ and "
        + "ROOT/test/<class>/, with images ending in " + ImageFiles.ExtensionList;

    private static readonly string[] SplitFolders = ["train", "val", "test"];

    public override string Id => "image-folder";
    public override string DisplayName => "Image folder";
    public override string Description =>
        "Images sorted into one folder per class (torchvision ImageFolder). Layout: ROOT/<class>/<image> (split train), or "
        + "ROOT/train/<class>/ with optional ROOT/val/<class>/ and ROOT/test/<class>/.";

    public IImageDataset Open(object? options)
    {
        var typed = Typed(options);
        const string name = "Image folder";
        string root = DatasetFolder.RequireRoot(typed.Root, name, ExpectedLayout);
        var top = ImageFiles.Subfolders(root);
        bool splitLayout = top.Contains("train") && top.All(SplitFolders.Contains);

        List<string> classes;
        var splits = new List<ImageSplitSpec>();
        if (!splitLayout)
        {
            classes = top;
            if (classes.Count == 0)
                throw new DatasetException($"{name}: {root} has no class folders. {ExpectedLayout}");
            splits.Add(Split(root, "train", SplitRole.Train, classes));
        }
        else
        {
            string train = Path.Combine(root, "train");
            classes = ImageFiles.Subfolders(train);
            if (classes.Count == 0)
                throw new DatasetException($"{name}: {train} has no class folders. {ExpectedLayout}");
            splits.Add(Split(train, "train", SplitRole.Train, classes));
            foreach (var (folder, role) in new[] { ("val", SplitRole.Validation), ("test", SplitRole.Test) })
            {
                string dir = Path.Combine(root, folder);
                if (!Directory.Exists(dir)) continue;
                var unknown = ImageFiles.Subfolders(dir).Where(c => !classes.Contains(c)).ToList();
                if (unknown.Count > 0)
                    throw new DatasetException(
                        $"{name}: {dir} has class folders that {train} lacks: {string.Join(", ", unknown.Take(10))}. "
                        + "The classes are train's; add them there or remove them here.");
                splits.Add(Split(dir, folder, role, classes));
            }
        }

        return ImageFileDataset.Open(
            $"{name} {root} ({(splitLayout ? "train/val/test" : "one folder per class")})", classes, splits,
            splits.Select(s => s.Name).ToList(), typed, root, ExpectedLayout);
    }

    /// <summary>The images of <paramref name="folder"/>/&lt;class&gt;/ for every class that has a folder there.</summary>
    private static ImageSplitSpec Split(string folder, string splitName, SplitRole role, List<string> classes) =>
        new(splitName, role, classes
            .Select((cls, label) => (Dir: Path.Combine(folder, cls), Label: label))
            .Where(c => Directory.Exists(c.Dir))
            .SelectMany(c => ImageFiles.Under(c.Dir).Select(path => new LabeledFile(path, c.Label)))
            .ToList());
}
