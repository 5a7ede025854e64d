using System.ComponentModel.DataAnnotations;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Datasets.ImageFolder;
using Scott.Lab.Datasets.Imaging;
using static Scott.Lab.Datasets.Tests.DatasetFixtures;
using static Scott.Lab.Datasets.Tests.TestImages;

namespace Scott.Lab.Datasets.Tests;

/// <summary>The image-folder plugin, and through it the bad-image policy every image-file dataset shares.</summary>
public sealed class ImageFolderPluginTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly ImageFolderPlugin _plugin = new();

    public void Dispose() => _temp.Dispose();

    private IImageDataset Open(string? badImages = null, int decodeSize = 256) =>
        _plugin.Open(new ImageFolderOptions { Root = _temp.Path, BadImages = badImages ?? "skip", DecodeSize = decodeSize });

    [Fact]
    public void Declares_itself_with_snake_case_bindable_options_and_defaults()
    {
        Assert.Equal("image-folder", _plugin.Id);
        Assert.IsAssignableFrom<IDatasetPlugin>(_plugin); // its kind, as the host reads it
        Assert.Equal(typeof(ImageFolderOptions), _plugin.OptionsType);
        var defaults = new ImageFolderOptions();
        Assert.Equal((256, "skip", ""), (defaults.DecodeSize, defaults.BadImages, defaults.Root));
        var problems = new List<ValidationResult>();
        Assert.False(Validator.TryValidateObject(defaults, new ValidationContext(defaults), problems, validateAllProperties: true));
        Assert.Contains("is required", Assert.Single(problems).ErrorMessage);

        var bad = new ImageFolderOptions { Root = _temp.Path, BadImages = "ignore", DecodeSize = -1 };
        Assert.False(Validator.TryValidateObject(bad, new ValidationContext(bad), problems = [], validateAllProperties: true));
        Assert.Equal(2, problems.Count);
    }

    [Fact]
    public void One_folder_per_class_sorted_ordinally_with_images_in_subfolders()
    {
        Write(_temp.File("b_dogs/x.jpg"), ClassJpeg(1));
        Write(_temp.File("b_dogs/more/y.png"), Png(10, 8, ClassColor(1)));
        Write(_temp.File("a_cats/z.JPG"), ClassJpeg(0));
        Write(_temp.File("Zebras/w.jpeg"), ClassJpeg(2));
        Write(_temp.File("a_cats/notes.txt"), "not an image"u8.ToArray());
        Write(_temp.File("a_cats/._z.JPG"), "macOS resource fork"u8.ToArray());
        Write(_temp.File(".hidden/q.jpg"), ClassJpeg(0));
        Write(_temp.File("loose.jpg"), ClassJpeg(0)); // not in a class folder: not part of the dataset

        using var dataset = Open();

        Assert.Equal(["Zebras", "a_cats", "b_dogs"], dataset.ClassNames); // ordinal: upper case first
        var train = Assert.Single(dataset.Splits);
        Assert.Equal(("train", SplitRole.Train, 4), (train.Name, train.Role, train.Images.Count));
        Assert.Equal([0, 1, 2, 2], Enumerable.Range(0, 4).Select(train.Images.LabelAt));
        Assert.Same(train, Assert.Single(dataset.PretrainingSplits));
        Assert.Equal(3, dataset.Channels);
        Assert.Null(dataset.FixedSize);
        Assert.Equal([0.485f, 0.456f, 0.406f], dataset.Mean);
        Assert.Equal([0.229f, 0.224f, 0.225f], dataset.Std);
        Assert.Equal(0, ((IBadImageReport)dataset).BadImageCount);
        Assert.Contains(_temp.Path, dataset.Description);

        var sample = train.Images.Read(1); // a_cats/z.JPG
        Assert.Equal((24, 16, 3, 1), (sample.Width, sample.Height, sample.Channels, sample.Label));
        AssertColor(ClassColor(0), At(sample.Pixels, 24, 12, 8));
    }

    [Fact]
    public void Train_val_test_folders_give_three_splits_with_train_classes()
    {
        ClassFolders(_temp.File("train"), ["cat", "dog"], 3);
        ClassFolders(_temp.File("val"), ["dog"], 2);
        ClassFolders(_temp.File("test"), ["cat", "dog"], 1);

        using var dataset = Open();

        Assert.Equal(["cat", "dog"], dataset.ClassNames);
        Assert.Equal([("train", SplitRole.Train, 6), ("val", SplitRole.Validation, 2), ("test", SplitRole.Test, 2)],
            dataset.Splits.Select(s => (s.Name, s.Role, s.Images.Count)));
        Assert.Equal([1, 1], Enumerable.Range(0, 2).Select(dataset.Splits[1].Images.LabelAt)); // val's dog is class 1
        Assert.Equal(10, dataset.PretrainingSplits.Sum(s => s.Images.Count));
    }

    [Fact]
    public void A_val_class_that_train_lacks_is_an_error()
    {
        ClassFolders(_temp.File("train"), ["cat"], 1);
        ClassFolders(_temp.File("val"), ["cat", "ferret"], 1);

        var error = Assert.Throws<DatasetException>(() => Open());

        Assert.Contains($"{_temp.File("val")} has class folders that {_temp.File("train")} lacks: ferret", error.Message);
    }

    [Fact]
    public void Odd_but_valid_images_all_load_as_RGB_in_display_orientation()
    {
        Write(_temp.File("odd/gray.jpg"), GrayJpeg(16, 8, (_, _) => 128));
        Write(_temp.File("odd/cmyk.jpg"), CmykJpeg());
        Write(_temp.File("odd/deep.png"), Png(4, 2, Rgb, 16, new byte[4 * 2 * 6]));
        Write(_temp.File("odd/palette.png"), Png(4, 2, Palette, 8, new byte[8], palette: [1, 2, 3]));
        Write(_temp.File("odd/alpha.png"), Png(4, 2, Rgba, 8, new byte[32]));
        Write(_temp.File("odd/rotated.jpg"), WithExifOrientation(LeftRedRightBlue(32, 16), 6));

        using var dataset = Open();

        var images = dataset.Splits[0].Images;
        Assert.Equal(6, images.Count);
        Assert.Equal(0, ((IBadImageReport)dataset).BadImageCount);
        var sizes = Enumerable.Range(0, 6).Select(i => images.Read(i)).Select(s => (s.Width, s.Height, s.Channels, s.Pixels.Length)).ToList();
        // Sorted: alpha.png, cmyk.jpg, deep.png, gray.jpg, palette.png, rotated.jpg
        Assert.Equal([(4, 2, 3, 24), (16, 16, 3, 768), (4, 2, 3, 24), (16, 8, 3, 384), (4, 2, 3, 24), (16, 32, 3, 1536)], sizes);
        AssertColor(Red, At(images.Read(5).Pixels, 16, 8, 3)); // the left (red) side is now the top
    }

    private void WriteGoodAndBad()
    {
        ClassFolders(_temp.Path, ["cat", "dog"], 2);
        Write(_temp.File("cat/empty.jpg"), []);
        Write(_temp.File("dog/truncated.jpg"), NoiseJpeg(64, 64)[..1500]);
        Write(_temp.File("dog/corrupt.jpg"), [.. NoiseJpeg(64, 64).Select((b, i) => i is >= 2 and < 600 ? (byte)0 : b)]);
    }

    [Fact]
    public void Skip_leaves_bad_images_out_and_reports_them()
    {
        WriteGoodAndBad();

        using var dataset = Open("skip");

        Assert.Equal(4, dataset.Splits[0].Images.Count);
        var report = Assert.IsAssignableFrom<IBadImageReport>(dataset);
        Assert.Equal(3, report.BadImageCount);
        Assert.Equal([_temp.File("cat/empty.jpg"), _temp.File("dog/corrupt.jpg"), _temp.File("dog/truncated.jpg")],
            report.FirstBadImages.Select(b => b.Path));
        Assert.Equal("empty file (0 bytes)", report.FirstBadImages[0].Reason);
        Assert.StartsWith("damaged header", report.FirstBadImages[1].Reason);
        Assert.StartsWith("truncated", report.FirstBadImages[2].Reason);
        var source = (ImageFileSource)dataset.Splits[0].Images;
        Assert.DoesNotContain(source.Files, f => f.Path.Contains("empty") || f.Path.Contains("truncated") || f.Path.Contains("corrupt"));
    }

    [Fact]
    public void Fail_refuses_to_open_and_lists_the_bad_files()
    {
        WriteGoodAndBad();

        var error = Assert.Throws<DatasetException>(() => Open("fail"));

        Assert.StartsWith($"3 unreadable image files in {_temp.Path}: {_temp.File("cat/empty.jpg")} (empty file (0 bytes)); ", error.Message);
        Assert.Contains(_temp.File("dog/truncated.jpg"), error.Message);
        Assert.Contains(_temp.File("dog/corrupt.jpg"), error.Message);
        Assert.EndsWith("Remove or replace them, or set dataset.options.bad_images=skip to leave them out.", error.Message);
    }

    [Fact]
    public void Only_the_first_ten_bad_files_are_named()
    {
        ClassFolders(_temp.Path, ["cat"], 1);
        for (int i = 0; i < 12; i++) Write(_temp.File($"cat/bad{i:D2}.jpg"), []);

        using var dataset = Open();
        var report = (IBadImageReport)dataset;
        Assert.Equal((12, 10), (report.BadImageCount, report.FirstBadImages.Count));

        var error = Assert.Throws<DatasetException>(() => Open("fail"));
        Assert.Contains("; and 2 more.", error.Message);
    }

    [Fact]
    public void Zero_usable_images_is_an_error_naming_the_folder_and_layout()
    {
        Write(_temp.File("cat/a.jpg"), []);
        Write(_temp.File("dog/b.jpg"), "text"u8.ToArray());

        var error = Assert.Throws<DatasetException>(() => Open());

        Assert.StartsWith($"No usable images in {_temp.Path}: all 2 image files are unreadable", error.Message);
        Assert.Contains(ImageFolderPlugin.ExpectedLayout, error.Message);
    }

    [Fact]
    public void Class_folders_without_images_are_an_error()
    {
        Directory.CreateDirectory(_temp.File("cat"));
        Write(_temp.File("dog/readme.txt"), "no images here"u8.ToArray());

        var error = Assert.Throws<DatasetException>(() => Open());

        Assert.Equal($"No images found in {_temp.Path}. {ImageFolderPlugin.ExpectedLayout}", error.Message);
    }

    [Fact]
    public void Missing_root_and_empty_root_are_named()
    {
        var missing = _temp.File("nowhere");
        var error = Assert.Throws<DatasetException>(() => _plugin.Open(new ImageFolderOptions { Root = missing }));
        Assert.Equal($"Image folder: folder not found: {missing}. {ImageFolderPlugin.ExpectedLayout}", error.Message);

        error = Assert.Throws<DatasetException>(() => _plugin.Open(null));
        Assert.StartsWith("dataset.options.root is not set", error.Message);

        error = Assert.Throws<DatasetException>(() => Open());
        Assert.StartsWith($"Image folder: {_temp.Path} has no class folders.", error.Message);
    }

    [Fact]
    public void A_file_damaged_after_opening_fails_at_read_time_naming_it()
    {
        ClassFolders(_temp.Path, ["cat"], 2);
        using var dataset = Open();
        File.WriteAllBytes(_temp.File("cat/img_1.jpg"), "gone"u8.ToArray());

        var error = Assert.Throws<DatasetException>(() => dataset.Splits[0].Images.Read(1));

        Assert.StartsWith($"Cannot read image {_temp.File("cat/img_1.jpg")}: not an image format", error.Message);
    }

    [Fact]
    public void Reads_from_many_threads_give_the_same_images()
    {
        for (int c = 0; c < 4; c++)
            for (int i = 0; i < 4; i++)
                Write(_temp.File($"c{c}/{i}.jpg"), NoiseJpeg(40, 30, seed: c * 10 + i));
        using var dataset = Open(decodeSize: 20);
        var images = dataset.Splits[0].Images;
        var expected = Enumerable.Range(0, images.Count).Select(i => images.Read(i)).ToArray();

        var results = new ImageSample[200];
        Parallel.For(0, results.Length, i => results[i] = images.Read(i % images.Count));

        for (int i = 0; i < results.Length; i++)
        {
            var want = expected[i % images.Count];
            Assert.Equal((want.Width, want.Height, want.Label), (results[i].Width, results[i].Height, results[i].Label));
            Assert.Equal(want.Pixels, results[i].Pixels);
        }
        Assert.Equal((27, 20), (expected[0].Width, expected[0].Height));
    }
}
