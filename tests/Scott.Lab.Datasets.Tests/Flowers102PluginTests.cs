using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Datasets.Flowers102;
using Scott.Lab.Datasets.Imaging;
using Scott.Lab.Datasets.Mat;
using static Scott.Lab.Datasets.Tests.DatasetFixtures;
using static Scott.Lab.Datasets.Tests.TestImages;

namespace Scott.Lab.Datasets.Tests;

/// <summary>The flowers-102 plugin on small copies of the real layout (jpg/, imagelabels.mat, setid.mat).</summary>
public sealed class Flowers102PluginTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly Flowers102Plugin _plugin = new();

    public void Dispose() => _temp.Dispose();

    // Ten images: labels are 1-based classes; the split lists are 1-based image indices, not in order.
    private static readonly int[] Labels = [1, 1, 2, 2, 3, 3, 102, 102, 50, 50];
    private static readonly int[] Train = [2, 4, 6];
    private static readonly int[] Val = [1, 3];
    private static readonly int[] Test = [5, 7, 8, 9, 10];

    private IImageDataset Open(string badImages = "skip") =>
        _plugin.Open(new Flowers102Options { Root = _temp.Path, BadImages = badImages });

    [Fact]
    public void Declares_itself_with_its_options()
    {
        Assert.Equal("flowers-102", _plugin.Id);
        Assert.IsAssignableFrom<IDatasetPlugin>(_plugin); // its kind, as the host reads it
        Assert.Equal(typeof(Flowers102Options), _plugin.OptionsType);
        Assert.Contains("jpg/image_00001.jpg", _plugin.Description);
        var defaults = new Flowers102Options();
        Assert.Equal((256, "skip"), (defaults.DecodeSize, defaults.BadImages));
    }

    [Fact]
    public void The_102_class_names_are_in_label_order()
    {
        var names = Flowers102Layout.ClassNames;
        Assert.Equal(102, names.Count);
        Assert.Equal(102, names.Distinct().Count());
        Assert.Equal(("pink primrose", "sunflower", "blackberry lily"), (names[0], names[53], names[101]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Opens_the_official_layout_with_plain_or_compressed_mat_files(bool compressed)
    {
        Flowers(_temp.Path, Labels, Train, Val, Test, compressed);

        using var dataset = Open();

        Assert.Equal([("train", SplitRole.Train, 3), ("val", SplitRole.Validation, 2), ("test", SplitRole.Test, 5)],
            dataset.Splits.Select(s => (s.Name, s.Role, s.Images.Count)));
        Assert.Equal(["train", "val", "test"], dataset.PretrainingSplits.Select(s => s.Name));
        Assert.Equal(Flowers102Layout.ClassNames, dataset.ClassNames);
        Assert.Equal((3, (ValueTuple<int, int>?)null), (dataset.Channels, dataset.FixedSize));

        // Label = labels(id) - 1, in the order setid lists the images.
        var train = (ImageFileSource)dataset.Splits[0].Images;
        Assert.Equal([_temp.File("jpg/image_00002.jpg"), _temp.File("jpg/image_00004.jpg"), _temp.File("jpg/image_00006.jpg")],
            train.Files.Select(f => f.Path));
        Assert.Equal([0, 1, 2], train.Files.Select(f => f.Label));
        var test = dataset.Splits[2].Images;
        Assert.Equal([2, 101, 101, 49, 49], Enumerable.Range(0, 5).Select(test.LabelAt));

        var sample = test.Read(1); // image_00007.jpg, class 102
        Assert.Equal((24, 16, 3, 101), (sample.Width, sample.Height, sample.Channels, sample.Label));
        AssertColor(ClassColor(101), At(sample.Pixels, 24, 12, 8));
        Assert.Equal("blackberry lily", dataset.ClassNames[sample.Label]);
    }

    [Fact]
    public void A_missing_setid_mat_says_what_it_is_and_where_to_get_it()
    {
        Flowers(_temp.Path, Labels, Train, Val, Test, compressed: true);
        File.Delete(_temp.File("setid.mat"));

        var error = Assert.Throws<DatasetException>(() => Open());

        Assert.Equal(
            $"Oxford Flowers-102: {_temp.File("setid.mat")} not found. It holds the official train/val/test split (variables trnid, valid, tstid); "
            + $"download setid.mat from https://www.robots.ox.ac.uk/~vgg/data/flowers/102/ into {_temp.Path}.",
            error.Message);
    }

    [Fact]
    public void A_missing_imagelabels_mat_or_jpg_folder_is_named()
    {
        Flowers(_temp.Path, Labels, Train, Val, Test, compressed: true);
        File.Delete(_temp.File("imagelabels.mat"));
        var error = Assert.Throws<DatasetException>(() => Open());
        Assert.StartsWith($"Oxford Flowers-102: {_temp.File("imagelabels.mat")} not found.", error.Message);
        Assert.Contains("https://www.robots.ox.ac.uk/~vgg/data/flowers/102/", error.Message);

        Flowers(_temp.Path, Labels, Train, Val, Test, compressed: true);
        Directory.Delete(_temp.File("jpg"), recursive: true);
        error = Assert.Throws<DatasetException>(() => Open());
        Assert.StartsWith($"Oxford Flowers-102: folder not found: {_temp.File("jpg")}. Expected jpg/image_00001.jpg", error.Message);
    }

    [Fact]
    public void A_missing_root_names_the_path_and_the_layout()
    {
        var root = _temp.File("flowers");

        var error = Assert.Throws<DatasetException>(() => _plugin.Open(new Flowers102Options { Root = root }));

        Assert.Equal($"Oxford Flowers-102: folder not found: {root}. {Flowers102Layout.ExpectedLayout}", error.Message);
        Assert.Contains("setid.mat", error.Message);
    }

    [Fact]
    public void Setid_and_labels_out_of_range_are_refused()
    {
        Flowers(_temp.Path, Labels, Train, Val, [5, 11], compressed: false);
        var error = Assert.Throws<DatasetException>(() => Open());
        Assert.Equal($"{_temp.File("setid.mat")}: tstid lists image 11, but imagelabels.mat labels images 1 to 10.", error.Message);

        Flowers(_temp.Path, [1, 2, 103], [1], [2], [3], compressed: false);
        error = Assert.Throws<DatasetException>(() => Open());
        Assert.Equal($"{_temp.File("imagelabels.mat")}: labels(3) is 103; Flowers-102 labels run from 1 to 102.", error.Message);
    }

    [Fact]
    public void A_setid_mat_without_its_variables_lists_what_it_holds()
    {
        Flowers(_temp.Path, Labels, Train, Val, Test, compressed: false);
        MatWriter.Write(_temp.File("setid.mat"), [MatArray.Numeric("train", [1, 1], new[] { 1.0 })]);

        var error = Assert.Throws<DatasetException>(() => Open());

        Assert.Equal($"{_temp.File("setid.mat")} has no variable 'trnid'; it holds 'train' (1×1).", error.Message);
    }

    [Fact]
    public void Bad_and_missing_images_are_skipped_or_fail()
    {
        Flowers(_temp.Path, Labels, Train, Val, Test, compressed: true);
        File.WriteAllBytes(_temp.File("jpg/image_00002.jpg"), []);
        File.WriteAllBytes(_temp.File("jpg/image_00005.jpg"), NoiseJpeg(64, 64)[..1200]);
        File.Delete(_temp.File("jpg/image_00010.jpg"));

        using (var dataset = Open())
        {
            Assert.Equal([2, 2, 3], dataset.Splits.Select(s => s.Images.Count));
            var report = (IBadImageReport)dataset;
            Assert.Equal(3, report.BadImageCount);
            Assert.Equal([("image_00002.jpg", "empty file (0 bytes)"), ("image_00005.jpg", "truncated"), ("image_00010.jpg", "file not found")],
                report.FirstBadImages.Select(b => (Path.GetFileName(b.Path), b.Reason.Split(':')[0])));
        }

        var error = Assert.Throws<DatasetException>(() => Open("fail"));
        Assert.StartsWith($"3 unreadable image files in {_temp.Path}: {_temp.File("jpg/image_00002.jpg")} (empty file (0 bytes))", error.Message);
    }
}
