using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Datasets.Imaging;

namespace Scott.Lab.Datasets.ImageNet100;

/// <summary>
/// ImageNet-100: the 100 ImageNet classes of a class list (by default CMC's imagenet100.txt), read from an ImageNet
/// folder in the class-folder layout: about 126,700 train and 5,000 validation images. Classes are the list's
/// WordNet ids sorted ordinally (label = position in that order, as torchvision's ImageFolder gives on the subset).
/// train → Train; val → Test (ImageNet's test labels are not public, so the validation set is the test set);
/// pre-training uses train and val.
/// </summary>
public sealed class ImageNet100Plugin : PluginBase<ImageNet100Options>, IDatasetPlugin
{
    public override string Id => "imagenet-100";
    public override string DisplayName => "ImageNet-100";
    public override string Description =>
        "ImageNet-100: the 100 ImageNet classes of CMC's list (or dataset.options.class_list), about 126,700 train and "
        + "5,000 val images. Layout: ROOT/train/<wnid>/*.JPEG, ROOT/val/<wnid>/*.JPEG (https://image-net.org/).";

    public IImageDataset Open(object? options)
    {
        var typed = Typed(options);
        const string name = "ImageNet-100";
        string layout = ImageNet100Layout.ExpectedLayout;
        string root = DatasetFolder.RequireRoot(typed.Root, name, layout);

        bool custom = !string.IsNullOrWhiteSpace(typed.ClassList);
        string listName = custom ? Path.GetFullPath(typed.ClassList) : ImageNet100Layout.BuiltInListName;
        var listed = custom ? ImageNet100Layout.ReadClassList(listName) : [.. ImageNet100Layout.BuiltInClasses];
        var classes = listed.Order(StringComparer.Ordinal).ToList();

        ImageSplitSpec Split(string folder, SplitRole role)
        {
            string dir = DatasetFolder.RequireFolder(Path.Combine(root, folder), name, layout);
            var present = ImageFiles.Subfolders(dir).ToHashSet(StringComparer.Ordinal);
            var missing = classes.Where(c => !present.Contains(c)).ToList();
            if (missing.Count == classes.Count)
            {
                string found = present.Count == 0
                    ? Directory.EnumerateFiles(dir).Any(ImageFiles.IsImage)
                        ? "it holds images but no class folders: sort them into <wnid>/ folders (for ILSVRC-2012 val, with the ground-truth labels)"
                        : "it has no subfolders"
                    : $"it has {present.Count} other folders, e.g. {string.Join(", ", present.Order(StringComparer.Ordinal).Take(3))}";
                throw new DatasetException(
                    $"{name}: none of the {classes.Count} classes of {listName} is a folder in {dir}; {found}. {layout}");
            }
            if (missing.Count > 0)
                throw new DatasetException(
                    $"{name}: {missing.Count} of the {classes.Count} classes of {listName} have no folder in {dir}: "
                    + string.Join(", ", missing.Take(10)) + (missing.Count > 10 ? ", ..." : "") + $". {layout}");
            var files = classes.SelectMany((wnid, label) =>
                ImageFiles.Under(Path.Combine(dir, wnid)).Select(path => new LabeledFile(path, label))).ToList();
            return new ImageSplitSpec(folder, role, files);
        }

        var splits = new[] { Split("train", SplitRole.Train), Split("val", SplitRole.Test) };
        return ImageFileDataset.Open(
            $"{name} ({classes.Count} classes of {(custom ? listName : "CMC's list")}) from {root}", classes, splits,
            ["train", "val"], typed, root, layout);
    }
}
