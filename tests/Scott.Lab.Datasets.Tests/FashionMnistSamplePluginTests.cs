using System.ComponentModel.DataAnnotations;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Datasets.FashionMnist;
using Scott.Lab.Datasets.Idx;

namespace Scott.Lab.Datasets.Tests;

public sealed class FashionMnistSamplePluginTests
{
    private readonly FashionMnistSamplePlugin _plugin = new();

    [Fact]
    public void Declares_itself_with_options_without_a_root()
    {
        Assert.Equal("fashion-mnist-sample", _plugin.Id);
        Assert.IsAssignableFrom<IDatasetPlugin>(_plugin); // its kind, as the host reads it
        Assert.Equal(typeof(FashionMnistSampleOptions), _plugin.OptionsType);
        Assert.Null(typeof(FashionMnistSampleOptions).GetProperty("Root"));
        var defaults = new FashionMnistSampleOptions();
        Assert.Equal("all", defaults.PretrainOn);
        Assert.True(Validator.TryValidateObject(defaults, new ValidationContext(defaults), null, validateAllProperties: true));
    }

    [Fact]
    public void Has_1000_train_and_200_test_images_100_and_20_per_class()
    {
        using var dataset = _plugin.Open(null);

        Assert.Equal(["train", "test"], dataset.Splits.Select(s => s.Name));
        Assert.Equal([SplitRole.Train, SplitRole.Test], dataset.Splits.Select(s => s.Role));
        Assert.Equal([1000, 200], dataset.Splits.Select(s => s.Images.Count));
        foreach (var (split, perClass) in dataset.Splits.Zip([100, 20]))
        {
            var counts = new int[10];
            for (int i = 0; i < split.Images.Count; i++) counts[split.Images.LabelAt(i)]++;
            Assert.All(counts, count => Assert.Equal(perClass, count));
        }
        Assert.Equal(FashionMnistLayout.ClassNames, dataset.ClassNames);
        Assert.Equal((28, 28), dataset.FixedSize);
        Assert.Equal(1, dataset.Channels);
        Assert.Equal([0.2860f], dataset.Mean);
        Assert.Equal([0.3530f], dataset.Std);

        var sample = dataset.Splits[0].Images.Read(0);
        Assert.Equal((28, 28, 1, 784), (sample.Width, sample.Height, sample.Channels, sample.Pixels.Length));
    }

    [Theory]
    [InlineData("all", 1200)]
    [InlineData("train", 1000)]
    public void Pretraining_splits_follow_the_option(string pretrainOn, int images)
    {
        using var dataset = _plugin.Open(new FashionMnistSampleOptions { PretrainOn = pretrainOn });
        Assert.Equal(images, dataset.PretrainingSplits.Sum(s => s.Images.Count));
    }

    [Fact]
    public void A_bad_PretrainOn_is_refused()
    {
        var error = Assert.Throws<DatasetException>(() => _plugin.Open(new FashionMnistSampleOptions { PretrainOn = "test" }));
        Assert.Contains("\"test\"", error.Message);
    }

    /// <summary>The sample is real data: its images of each class are the first ones of that class in the real files, in order.</summary>
    [RealFashionMnistFact]
    public void Is_the_first_images_of_each_class_from_the_real_files()
    {
        using var dataset = _plugin.Open(null);
        foreach (var (split, prefix, perClass) in new[] { (dataset.Splits[0], "train", 100), (dataset.Splits[1], "t10k", 20) })
        {
            var realImages = IdxFile.ReadImages(RealFashionMnistFactAttribute.RealFile($"{prefix}-images-idx3-ubyte"));
            var realLabels = IdxFile.ReadLabels(RealFashionMnistFactAttribute.RealFile($"{prefix}-labels-idx1-ubyte"));

            // The real indices the sample should hold: the first perClass of each class, in file order.
            var kept = new int[10];
            var expected = new List<int>();
            for (int i = 0; i < realLabels.Count && expected.Count < 10 * perClass; i++)
                if (kept[realLabels.Labels[i]]++ < perClass) expected.Add(i);

            var source = (IdxImageSource)split.Images;
            Assert.Equal(expected.Count, source.Count);
            for (int j = 0; j < source.Count; j++)
            {
                int real = expected[j];
                Assert.Equal(realLabels.Labels[real], source.LabelAt(j));
                Assert.True(
                    source.PixelsOf(j).SequenceEqual(realImages.Pixels.AsSpan(real * 784, 784)),
                    $"{prefix} sample image {j} differs from real image {real}");
            }
        }
    }

    [RealFashionMnistFact]
    public void First_train_image_is_the_first_real_image_of_its_class()
    {
        using var dataset = _plugin.Open(null);
        var first = dataset.Splits[0].Images.Read(0);
        var realImages = IdxFile.ReadImages(RealFashionMnistFactAttribute.RealFile("train-images-idx3-ubyte"));
        var realLabels = IdxFile.ReadLabels(RealFashionMnistFactAttribute.RealFile("train-labels-idx1-ubyte"));

        int firstOfClass = Array.IndexOf(realLabels.Labels, (byte)first.Label);
        Assert.Equal(realImages.Pixels.AsSpan(firstOfClass * 784, 784).ToArray(), first.Pixels);
    }
}
