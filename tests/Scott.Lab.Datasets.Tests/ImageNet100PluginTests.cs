using System.Text.RegularExpressions;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Datasets.ImageNet100;
using Scott.Lab.Datasets.Imaging;
using static Scott.Lab.Datasets.Tests.DatasetFixtures;

namespace Scott.Lab.Datasets.Tests;

/// <summary>The imagenet-100 plugin on small ImageNet-shaped folders (train/&lt;wnid&gt;/, val/&lt;wnid&gt;/).</summary>
public sealed class ImageNet100PluginTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly ImageNet100Plugin _plugin = new();

    public void Dispose() => _temp.Dispose();

    private IImageDataset Open(string classList = "") =>
        _plugin.Open(new ImageNet100Options { Root = _temp.Path, ClassList = classList });

    [Fact]
    public void Declares_itself_with_its_options()
    {
        Assert.Equal("imagenet-100", _plugin.Id);
        Assert.IsAssignableFrom<IDatasetPlugin>(_plugin); // its kind, as the host reads it
        Assert.Equal(typeof(ImageNet100Options), _plugin.OptionsType);
        Assert.Equal("", new ImageNet100Options().ClassList);
    }

    [Fact]
    public void The_built_in_list_is_CMCs_100_classes()
    {
        var classes = ImageNet100Layout.BuiltInClasses;

        Assert.Equal(100, classes.Count);
        Assert.Equal(100, classes.Distinct().Count());
        Assert.All(classes, wnid => Assert.Matches(new Regex("^n[0-9]{8}$"), wnid));
        // The first, a middle and the last line of CMC's imagenet100.txt.
        Assert.Equal(("n02869837", "n01749939", "n01558993", "n02090622"), (classes[0], classes[1], classes[26], classes[99]));
    }

    [Fact]
    public void Opens_the_100_classes_of_a_full_ImageNet_folder_and_ignores_the_others()
    {
        var classes = ImageNet100Layout.BuiltInClasses;
        ClassFolders(_temp.File("train"), [.. classes, "n99999999", "n00000001"], 2);
        ClassFolders(_temp.File("val"), [.. classes, "n99999999"], 1);

        using var dataset = Open();

        var sorted = classes.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(sorted, dataset.ClassNames);
        Assert.Equal([("train", SplitRole.Train, 200), ("val", SplitRole.Test, 100)], dataset.Splits.Select(s => (s.Name, s.Role, s.Images.Count)));
        Assert.Equal(["train", "val"], dataset.PretrainingSplits.Select(s => s.Name));
        var val = (ImageFileSource)dataset.Splits[1].Images;
        Assert.All(val.Files, f => Assert.Equal(sorted[f.Label], Path.GetFileName(Path.GetDirectoryName(f.Path))));
        Assert.Equal(0, dataset.Splits[0].Images.LabelAt(0));
        Assert.Equal("n01558993", dataset.ClassNames[0]);
    }

    [Fact]
    public void A_custom_class_list_with_comments_picks_its_classes()
    {
        ClassFolders(_temp.File("train"), ["n00000003", "n00000001", "n00000002", "n00000004"], 2);
        ClassFolders(_temp.File("val"), ["n00000003", "n00000001", "n00000002"], 1);
        var list = Write(_temp.File("mine.txt"), "# my three classes\nn00000003\n\n n00000001 # the first\nn00000002\n"u8.ToArray());

        using var dataset = Open(list);

        Assert.Equal(["n00000001", "n00000002", "n00000003"], dataset.ClassNames);
        Assert.Equal([6, 3], dataset.Splits.Select(s => s.Images.Count));
        Assert.Contains("3 classes of " + list, dataset.Description);
    }

    [Fact]
    public void A_class_list_matching_nothing_names_the_folder_and_layout()
    {
        ClassFolders(_temp.File("train"), ["dogs", "cats"], 1);
        ClassFolders(_temp.File("val"), ["dogs", "cats"], 1);

        var error = Assert.Throws<DatasetException>(() => Open());

        Assert.Equal(
            $"ImageNet-100: none of the 100 classes of the built-in CMC ImageNet-100 list is a folder in {_temp.File("train")}; "
            + $"it has 2 other folders, e.g. cats, dogs. {ImageNet100Layout.ExpectedLayout}",
            error.Message);
    }

    [Fact]
    public void Missing_classes_are_listed()
    {
        ClassFolders(_temp.File("train"), ["n00000001"], 1);
        ClassFolders(_temp.File("val"), ["n00000001"], 1);
        var list = Write(_temp.File("two.txt"), "n00000001\nn00000002\n"u8.ToArray());

        var error = Assert.Throws<DatasetException>(() => Open(list));

        Assert.StartsWith($"ImageNet-100: 1 of the 2 classes of {list} have no folder in {_temp.File("train")}: n00000002. Expected train/<wnid>", error.Message);
    }

    [Fact]
    public void A_flat_val_folder_says_to_sort_it_into_class_folders()
    {
        ClassFolders(_temp.File("train"), ["n00000001"], 1);
        Write(_temp.File("val/ILSVRC2012_val_00000001.JPEG"), ClassJpeg(0));
        var list = Write(_temp.File("one.txt"), "n00000001\n"u8.ToArray());

        var error = Assert.Throws<DatasetException>(() => Open(list));

        Assert.Contains($"is a folder in {_temp.File("val")}; it holds images but no class folders: sort them into <wnid>/ folders", error.Message);
    }

    [Fact]
    public void Bad_class_lists_are_refused()
    {
        var error = Assert.Throws<DatasetException>(() => ImageNet100Layout.ParseClassList("n1\nn2\nn1\n", "l.txt"));
        Assert.Equal("l.txt:3: class 'n1' is listed twice.", error.Message);
        error = Assert.Throws<DatasetException>(() => ImageNet100Layout.ParseClassList("# nothing\n\n", "l.txt"));
        Assert.StartsWith("l.txt lists no classes", error.Message);
        error = Assert.Throws<DatasetException>(() => ImageNet100Layout.ParseClassList("n1 n2\n", "l.txt"));
        Assert.StartsWith("l.txt:1: 'n1 n2' is not a class folder name", error.Message);

        Directory.CreateDirectory(_temp.File("train"));
        var missing = _temp.File("nope.txt");
        error = Assert.Throws<DatasetException>(() => Open(missing));
        Assert.StartsWith($"dataset.options.class_list: file not found: {missing}.", error.Message);
    }

    [Fact]
    public void A_missing_train_folder_is_named()
    {
        var error = Assert.Throws<DatasetException>(() => Open());

        Assert.Equal($"ImageNet-100: folder not found: {_temp.File("train")}. {ImageNet100Layout.ExpectedLayout}", error.Message);
    }
}
