using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Datasets.Imaging;
using Scott.Lab.Datasets.Pets;
using static Scott.Lab.Datasets.Tests.DatasetFixtures;
using static Scott.Lab.Datasets.Tests.TestImages;

namespace Scott.Lab.Datasets.Tests;

/// <summary>The oxford-pets plugin on small copies of the real layout (images/, annotations/*.txt).</summary>
public sealed class OxfordPetsPluginTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly OxfordPetsPlugin _plugin = new();

    public void Dispose() => _temp.Dispose();

    // Class ids as in the real list: 1 Abyssinian (cat), 2 american_bulldog (dog), 3 american_pit_bull_terrier (dog).
    private static readonly PetImage[] Trainval =
    [
        new("Abyssinian_100", 1, 1, 1), new("Abyssinian_101", 1, 1, 1),
        new("american_bulldog_10", 2, 2, 1), new("american_pit_bull_terrier_1", 3, 2, 2),
    ];
    private static readonly PetImage[] Test = [new("Abyssinian_1", 1, 1, 1), new("american_bulldog_100", 2, 2, 1)];

    private IImageDataset Open(string badImages = "skip") =>
        _plugin.Open(new OxfordPetsOptions { Root = _temp.Path, BadImages = badImages });

    [Fact]
    public void Declares_itself_with_its_options()
    {
        Assert.Equal("oxford-pets", _plugin.Id);
        Assert.IsAssignableFrom<IDatasetPlugin>(_plugin); // its kind, as the host reads it
        Assert.Equal(typeof(OxfordPetsOptions), _plugin.OptionsType);
        Assert.Contains("annotations/{list,trainval,test}.txt", _plugin.Description);
    }

    [Fact]
    public void Opens_trainval_and_test_with_breeds_named_from_the_files()
    {
        WritePets(_temp.Path, Trainval, Test);

        using var dataset = Open();

        Assert.Equal(["Abyssinian", "american_bulldog", "american_pit_bull_terrier"], dataset.ClassNames);
        Assert.Equal([("trainval", SplitRole.Train, 4), ("test", SplitRole.Test, 2)],
            dataset.Splits.Select(s => (s.Name, s.Role, s.Images.Count)));
        Assert.Equal(6, dataset.PretrainingSplits.Sum(s => s.Images.Count));
        var trainval = (ImageFileSource)dataset.Splits[0].Images;
        Assert.Equal([0, 0, 1, 2], trainval.Files.Select(f => f.Label));
        Assert.Equal(_temp.File("images/american_bulldog_10.jpg"), trainval.Files[2].Path);

        var sample = dataset.Splits[1].Images.Read(1);
        Assert.Equal((24, 16, 3, 1), (sample.Width, sample.Height, sample.Channels, sample.Label));
        AssertColor(ClassColor(1), At(sample.Pixels, 24, 12, 8));
    }

    [Fact]
    public void The_real_pets_quirks_load_CMYK_and_rotated_JPEGs()
    {
        WritePets(_temp.Path, Trainval, Test);
        File.WriteAllBytes(_temp.File("images/Abyssinian_100.jpg"), CmykJpeg()); // the real set has a few CMYK JPEGs
        File.WriteAllBytes(_temp.File("images/Abyssinian_101.jpg"), WithExifOrientation(LeftRedRightBlue(32, 16), 8));

        using var dataset = Open("fail");

        var images = dataset.Splits[0].Images;
        Assert.Equal((16, 16, 3), (images.Read(0).Width, images.Read(0).Height, images.Read(0).Channels));
        var rotated = images.Read(1);
        Assert.Equal((16, 32), (rotated.Width, rotated.Height));
        AssertColor(Blue, At(rotated.Pixels, 16, 8, 3)); // 90° counter-clockwise: the right (blue) side is on top
    }

    [Fact]
    public void A_malformed_line_is_named_with_file_and_line()
    {
        WritePets(_temp.Path, Trainval, Test);
        File.AppendAllText(_temp.File("annotations/test.txt"), "Bengal_7 cat 1 1\n");

        var error = Assert.Throws<DatasetException>(() => Open());

        Assert.StartsWith($"{_temp.File("annotations/test.txt")}:3: expected 'IMAGE CLASS-ID SPECIES BREED-ID'", error.Message);
        Assert.EndsWith("got 'Bengal_7 cat 1 1'.", error.Message);
    }

    [Fact]
    public void Two_breeds_with_one_class_id_are_refused()
    {
        WritePets(_temp.Path, Trainval, [.. Test, new("Bengal_7", 2, 1, 6)]);
        File.WriteAllText(_temp.File("annotations/list.txt"), "# header only\n");

        var error = Assert.Throws<DatasetException>(() => Open());

        Assert.Equal(
            $"{_temp.File("annotations/test.txt")}: Bengal_7 gives class id 2 to breed 'Bengal', but {_temp.File("annotations/trainval.txt")} gives it to 'american_bulldog'.",
            error.Message);
    }

    [Fact]
    public void Missing_annotations_name_the_file_and_the_download()
    {
        WritePets(_temp.Path, Trainval, Test);
        File.Delete(_temp.File("annotations/trainval.txt"));

        var error = Assert.Throws<DatasetException>(() => Open());

        Assert.StartsWith($"Oxford-IIIT Pets: file not found: {_temp.File("annotations/trainval.txt")}. Expected images/", error.Message);
        Assert.Contains("https://www.robots.ox.ac.uk/~vgg/data/pets/", error.Message);
    }

    [Fact]
    public void Listed_images_that_are_missing_or_bad_are_skipped()
    {
        WritePets(_temp.Path, Trainval, Test);
        File.Delete(_temp.File("images/Abyssinian_1.jpg"));
        File.WriteAllBytes(_temp.File("images/american_bulldog_10.jpg"), []);

        using var dataset = Open();

        Assert.Equal([3, 1], dataset.Splits.Select(s => s.Images.Count));
        Assert.Equal(2, ((IBadImageReport)dataset).BadImageCount);
    }

    [Fact]
    public void Annotations_without_images_listed_are_an_error()
    {
        WritePets(_temp.Path, [], []);

        var error = Assert.Throws<DatasetException>(() => Open());

        Assert.StartsWith("Oxford-IIIT Pets: ", error.Message);
        Assert.Contains("list no images", error.Message);
    }
}
