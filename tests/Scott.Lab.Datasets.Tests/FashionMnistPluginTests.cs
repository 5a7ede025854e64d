using System.ComponentModel.DataAnnotations;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Datasets.FashionMnist;
using Scott.Lab.Datasets.Idx;

namespace Scott.Lab.Datasets.Tests;

/// <summary>The fashion-mnist plugin on small folders made by the tests (always run).</summary>
public sealed class FashionMnistPluginTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly FashionMnistPlugin _plugin = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Declares_itself_as_a_dataset_with_typed_options()
    {
        Assert.Equal("fashion-mnist", _plugin.Id);
        Assert.IsAssignableFrom<IDatasetPlugin>(_plugin); // its kind, as the host reads it
        Assert.Equal(typeof(FashionMnistOptions), _plugin.OptionsType);
        var defaults = new FashionMnistOptions();
        Assert.Equal("/usr/share/datasets/fashion-mnist", defaults.Root);
        Assert.Equal("all", defaults.PretrainOn);
        Assert.True(Validator.TryValidateObject(defaults, new ValidationContext(defaults), null, validateAllProperties: true));
    }

    [Theory]
    [InlineData("both")]
    [InlineData("ALL")]
    [InlineData("")]
    public void PretrainOn_accepts_only_all_or_train(string value)
    {
        var options = new FashionMnistOptions { Root = _temp.Path, PretrainOn = value };
        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), null, validateAllProperties: true));

        var error = Assert.Throws<DatasetException>(() => _plugin.Open(options));
        Assert.Contains("pretrainOn", error.Message);
    }

    [Fact]
    public void Missing_root_names_the_path_and_the_expected_files()
    {
        var root = Path.Combine(_temp.Path, "not-here");

        var error = Assert.Throws<DatasetException>(() => _plugin.Open(new FashionMnistOptions { Root = root }));

        Assert.Contains($"Fashion-MNIST folder not found: {root}", error.Message);
        Assert.Contains("train-images-idx3-ubyte", error.Message);
        Assert.Contains("t10k-labels-idx1-ubyte.gz", error.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", error.Message);
        Assert.Contains("dataset.options.root", error.Message);
    }

    [Fact]
    public void A_missing_file_is_named_with_the_expected_layout()
    {
        IdxTestFiles.WriteFashionMnistFolder(_temp.Path, 10, 10);
        File.Delete(_temp.File("t10k-labels-idx1-ubyte.gz"));

        var error = Assert.Throws<DatasetException>(() => _plugin.Open(new FashionMnistOptions { Root = _temp.Path }));

        Assert.Contains($"Fashion-MNIST file not found: {_temp.File("t10k-labels-idx1-ubyte")}.gz", error.Message);
        Assert.Contains("Expected train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz", error.Message);
        Assert.DoesNotContain("train-images-idx3-ubyte.gz (or", error.Message);
    }

    [Fact]
    public void Opens_gzipped_and_uncompressed_files_and_reports_the_layout()
    {
        IdxTestFiles.WriteFashionMnistFolder(_temp.Path, 30, 20, "train-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
        Assert.True(File.Exists(_temp.File("train-images-idx3-ubyte")));

        using var dataset = _plugin.Open(new FashionMnistOptions { Root = _temp.Path, PretrainOn = "train" });

        Assert.Equal(["train", "test"], dataset.Splits.Select(s => s.Name));
        Assert.Equal([SplitRole.Train, SplitRole.Test], dataset.Splits.Select(s => s.Role));
        Assert.Equal([30, 20], dataset.Splits.Select(s => s.Images.Count));
        Assert.Equal(["train"], dataset.PretrainingSplits.Select(s => s.Name));
        Assert.Equal(1, dataset.Channels);
        Assert.Equal((28, 28), dataset.FixedSize);
        Assert.Equal([0.2860f], dataset.Mean);
        Assert.Equal([0.3530f], dataset.Std);
        Assert.Equal(FashionMnistLayout.ClassNames, dataset.ClassNames);

        var test = dataset.Splits[1].Images;
        var sample = test.Read(13);
        Assert.Equal((28, 28, 1, 3), (sample.Width, sample.Height, sample.Channels, sample.Label));
        Assert.Equal(IdxTestFiles.Pattern(20, 784)[(13 * 784)..(14 * 784)], sample.Pixels);
        Assert.IsType<IdxImageSource>(test);
    }

    [Fact]
    public void Images_that_are_not_28_by_28_are_rejected()
    {
        IdxTestFiles.WriteFashionMnistFolder(_temp.Path, 10, 10);
        foreach (var prefix in new[] { "train", "t10k" })
            IdxTestFiles.Write(_temp.File($"{prefix}-images-idx3-ubyte.gz"), IdxTestFiles.ImagesBytes(10, 32, 32, new byte[10 * 32 * 32]));

        var error = Assert.Throws<DatasetException>(() => _plugin.Open(new FashionMnistOptions { Root = _temp.Path }));

        Assert.Contains($"{_temp.File("train-images-idx3-ubyte.gz")} holds 32×32 images; Fashion-MNIST images are 28×28", error.Message);
    }

    [Fact]
    public void Splits_of_different_sizes_are_rejected()
    {
        IdxTestFiles.WriteFashionMnistFolder(_temp.Path, 10, 10);
        var path = IdxTestFiles.Write(_temp.File("t10k-images-idx3-ubyte.gz"), IdxTestFiles.ImagesBytes(10, 32, 32, new byte[10 * 32 * 32]));

        var error = Assert.Throws<DatasetException>(() => _plugin.Open(new FashionMnistOptions { Root = _temp.Path }));

        Assert.Contains($"{path} 32×32", error.Message);
    }

    [Fact]
    public void A_label_count_mismatch_names_both_files()
    {
        IdxTestFiles.WriteFashionMnistFolder(_temp.Path, 10, 10);
        IdxTestFiles.Write(_temp.File("train-labels-idx1-ubyte.gz"), IdxTestFiles.LabelsBytes(9, new byte[9]));

        var error = Assert.Throws<DatasetException>(() => _plugin.Open(new FashionMnistOptions { Root = _temp.Path }));

        Assert.Contains("train-images-idx3-ubyte.gz has 10 images but", error.Message);
        Assert.Contains("train-labels-idx1-ubyte.gz has 9 labels", error.Message);
    }
}

/// <summary>The fashion-mnist plugin on the real data (skipped where it is not installed, failing on CI).</summary>
public sealed class RealFashionMnistTests
{
    private static readonly Lazy<IImageDataset> All =
        new(() => new FashionMnistPlugin().Open(new FashionMnistOptions { Root = RealFashionMnistFactAttribute.Root }));

    [RealFashionMnistFact]
    public void Has_60000_train_and_10000_test_images_in_10_balanced_classes()
    {
        var dataset = All.Value;

        Assert.Equal(["train", "test"], dataset.Splits.Select(s => s.Name));
        Assert.Equal([60000, 10000], dataset.Splits.Select(s => s.Images.Count));
        Assert.Equal(
            ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
            dataset.ClassNames);
        Assert.Equal((28, 28), dataset.FixedSize);
        foreach (var (split, perClass) in dataset.Splits.Zip([6000, 1000]))
        {
            var counts = new int[10];
            for (int i = 0; i < split.Images.Count; i++)
            {
                int label = split.Images.LabelAt(i);
                Assert.InRange(label, 0, 9);
                counts[label]++;
            }
            Assert.All(counts, count => Assert.Equal(perClass, count));
        }
    }

    [RealFashionMnistFact]
    public void Pretrains_on_all_70000_images_by_default_or_the_60000_train_images()
    {
        Assert.Equal(70000, All.Value.PretrainingSplits.Sum(s => s.Images.Count));

        using var trainOnly = new FashionMnistPlugin().Open(
            new FashionMnistOptions { Root = RealFashionMnistFactAttribute.Root, PretrainOn = "train" });
        Assert.Equal(60000, Assert.Single(trainOnly.PretrainingSplits).Images.Count);
    }

    [RealFashionMnistFact]
    public void Mean_and_std_match_the_train_pixels()
    {
        var dataset = All.Value;
        var train = Assert.IsType<IdxImageSource>(dataset.Splits[0].Images);
        double sum = 0, squares = 0;
        for (int i = 0; i < train.Count; i++)
            foreach (byte b in train.PixelsOf(i)) { sum += b; squares += b * b; }
        double n = (double)train.Count * train.PixelsPerImage;
        double mean = sum / n / 255, std = Math.Sqrt(squares / n / (255.0 * 255) - mean * mean);

        Assert.Equal(dataset.Mean[0], mean, 0.0005);
        Assert.Equal(dataset.Std[0], std, 0.0005);
    }

    [RealFashionMnistFact]
    public void Reads_a_known_image()
    {
        var train = All.Value.Splits[0].Images;
        var first = train.Read(0);
        var copied = new byte[784];
        ((IdxImageSource)train).CopyPixels(0, copied);

        Assert.Equal(9, first.Label); // the first training image is an ankle boot
        Assert.Equal(784, first.Pixels.Length);
        Assert.Equal(first.Pixels, copied);
        Assert.Contains(first.Pixels, b => b > 200);
    }
}
