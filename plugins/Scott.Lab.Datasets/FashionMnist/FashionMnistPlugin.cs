using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Datasets.Idx;

namespace Scott.Lab.Datasets.FashionMnist;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul &amp; Vollgraf, 2017; MIT licence) read from a folder of IDX files:
/// 60,000 train and 10,000 test 28×28 grayscale images of clothing in 10 classes.
/// </summary>
public sealed class FashionMnistPlugin : PluginBase<FashionMnistOptions>, IDatasetPlugin
{
    public override string Id => "fashion-mnist";
    public override string DisplayName => "Fashion-MNIST";
    public override string Description =>
        "Fashion-MNIST: 70,000 28×28 grayscale images of clothing in 10 classes (60,000 train, 10,000 test), read from IDX files "
        + $"(default {FashionMnistOptions.DefaultRoot}, Debian package dataset-fashion-mnist). MIT licence.";

    public IImageDataset Open(object? options)
    {
        var typed = Typed(options);
        _ = FashionMnistLayout.PretrainingSplitNames(typed.PretrainOn); // a bad option fails before any file is read
        var root = typed.Root;
        if (string.IsNullOrWhiteSpace(root))
            throw new DatasetException($"dataset.options.root is empty. {ExpectedLayout(null)}");
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root))
            throw new DatasetException($"Fashion-MNIST folder not found: {root}. {ExpectedLayout(null)}");

        var missing = FashionMnistLayout.FileStems.Where(stem => FolderIdxFileStore.Find(root, stem) is null).ToList();
        if (missing.Count > 0)
            throw new DatasetException(
                $"Fashion-MNIST {(missing.Count == 1 ? "file" : "files")} not found: "
                + string.Join(", ", missing.Select(stem => $"{Path.Combine(root, stem)}.gz (or uncompressed {stem})"))
                + $". {ExpectedLayout(root)}");

        return FashionMnistLayout.Load($"Fashion-MNIST from {root}", typed.PretrainOn, new FolderIdxFileStore(root));
    }

    private static string ExpectedLayout(string? folder) =>
        $"Expected {FashionMnistLayout.ExpectedFiles}{(folder is null ? "" : $" in {folder}")} (install with `apt-get install dataset-fashion-mnist`, or set dataset.options.root)";
}
