using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Datasets.Imaging;
using Scott.Lab.Datasets.Mat;

namespace Scott.Lab.Datasets.Flowers102;

/// <summary>
/// Oxford Flowers-102 (Nilsback &amp; Zisserman, 2008): 8,189 photographs of flowers in 102 classes, with the official
/// split of 1,020 train (10 per class), 1,020 validation and 6,149 test images. Read from the files as published:
/// <c>jpg/image_NNNNN.jpg</c>, <c>imagelabels.mat</c> (1×8189 labels, 1-based) and <c>setid.mat</c> (1-based image
/// indices of each split). Pre-training uses all three splits, as the paper does.
/// </summary>
public sealed class Flowers102Plugin : PluginBase<Flowers102Options>, IDatasetPlugin
{
    public override string Id => "flowers-102";
    public override string DisplayName => "Oxford Flowers-102";
    public override string Description =>
        "Oxford Flowers-102: 8,189 flower photographs in 102 classes (train 1,020 / val 1,020 / test 6,149). Layout: "
        + "ROOT/jpg/image_00001.jpg …, ROOT/imagelabels.mat, ROOT/setid.mat (" + Flowers102Layout.DownloadUrl + ").";

    public IImageDataset Open(object? options)
    {
        var typed = Typed(options);
        const string name = "Oxford Flowers-102";
        string root = DatasetFolder.RequireRoot(typed.Root, name, Flowers102Layout.ExpectedLayout);

        string splitsPath = Path.Combine(root, Flowers102Layout.SplitsFile);
        if (!File.Exists(splitsPath))
            throw new DatasetException(
                $"{name}: {splitsPath} not found. It holds the official train/val/test split (variables trnid, valid, tstid); "
                + $"download setid.mat from {Flowers102Layout.DownloadUrl} into {root}.");
        string labelsPath = Path.Combine(root, Flowers102Layout.LabelsFile);
        if (!File.Exists(labelsPath))
            throw new DatasetException(
                $"{name}: {labelsPath} not found. It holds the class of every image (variable labels); "
                + $"download imagelabels.mat from {Flowers102Layout.DownloadUrl} into {root}.");
        DatasetFolder.RequireFolder(Path.Combine(root, Flowers102Layout.ImagesFolder), name, Flowers102Layout.ExpectedLayout);

        var labelsFile = MatFile.Read(labelsPath);
        int[] labels = labelsFile.Get("labels").ToInt32s();
        int bad = Array.FindIndex(labels, l => l is < 1 or > Flowers102Layout.ClassCount);
        if (bad >= 0)
            throw new DatasetException(
                $"{labelsPath}: labels({bad + 1}) is {labels[bad]}; Flowers-102 labels run from 1 to {Flowers102Layout.ClassCount}.");

        var splitsFile = MatFile.Read(splitsPath);
        ImageSplitSpec Split(string splitName, SplitRole role, string variable)
        {
            int[] ids = splitsFile.Get(variable).ToInt32s();
            var files = new List<LabeledFile>(ids.Length);
            foreach (int id in ids)
            {
                if (id < 1 || id > labels.Length)
                    throw new DatasetException(
                        $"{splitsPath}: {variable} lists image {id}, but {Flowers102Layout.LabelsFile} labels images 1 to {labels.Length}.");
                files.Add(new LabeledFile(Flowers102Layout.ImagePath(root, id), labels[id - 1] - 1));
            }
            return new ImageSplitSpec(splitName, role, files);
        }

        var splits = new[]
        {
            Split("train", SplitRole.Train, "trnid"),
            Split("val", SplitRole.Validation, "valid"),
            Split("test", SplitRole.Test, "tstid"),
        };
        return ImageFileDataset.Open(
            $"{name} from {root}", Flowers102Layout.ClassNames, splits, ["train", "val", "test"], typed, root,
            Flowers102Layout.ExpectedLayout);
    }
}
