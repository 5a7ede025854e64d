using Scott.Lab.Abstractions.Data;
using Scott.Lab.Datasets.Flowers102;
using Scott.Lab.Datasets.ImageNet100;
using Scott.Lab.Datasets.Pets;
using Xunit.Abstractions;
using static Scott.Lab.Datasets.Tests.Independent.OfficialLayoutFixtures;

namespace Scott.Lab.Datasets.Tests.Independent;

/// <summary>
/// The Flowers-102, Oxford-IIIT Pets and ImageNet-100 loaders on fixtures written by a different author in the
/// layouts the datasets are distributed in (see <see cref="OfficialLayoutFixtures"/>). Every fixture image has a size
/// of its own, so each decoded sample is traced back to the file it came from and checked against what the official
/// annotations say about that file.
/// </summary>
public sealed class IndependentLayoutTests(ITestOutputHelper output)
{
    private sealed record Seen(DatasetSplit Split, int Index, ImageSample Sample, FixtureImage Image);

    // ───────────────────────────── Flowers-102 ─────────────────────────────

    [Theory]
    [InlineData(FlowersMatFlavour.CompressedDouble)]
    [InlineData(FlowersMatFlavour.UncompressedDouble)]
    [InlineData(FlowersMatFlavour.Mixed)]
    public void Flowers102_official_layout_gives_trnid_valid_tstid_with_zero_based_labels(FlowersMatFlavour flavour)
    {
        using var tmp = new TempRoot();
        var images = WriteFlowers102(tmp.Path, flavour);
        using var ds = new Flowers102Plugin().Open(new Flowers102Options { Root = tmp.Path });
        AssertFlowers(ds, images);
    }

    [Fact]
    public void Flowers102_reads_MATLAB_integer_narrowed_doubles()
    {
        // MATLAB stores an mxDOUBLE_CLASS array of small integers with miUINT8/miUINT16 data; still doubles to readers.
        using var tmp = new TempRoot();
        var images = WriteFlowers102(tmp.Path, FlowersMatFlavour.CompressedNarrowed);
        using var ds = new Flowers102Plugin().Open(new Flowers102Options { Root = tmp.Path });
        AssertFlowers(ds, images);
    }

    [Fact]
    public void Flowers102_reads_MATLAB_uint16_narrowed_ids_above_255()
    {
        using var tmp = new TempRoot();
        var spec = FlowersLarge();
        var images = WriteFlowers102(tmp.Path, FlowersMatFlavour.CompressedNarrowed, spec);
        using var ds = new Flowers102Plugin().Open(new Flowers102Options { Root = tmp.Path });
        AssertFlowers(ds, images, spec);
    }

    private void AssertFlowers(IImageDataset ds, List<FixtureImage> images) => AssertFlowers(ds, images, FlowersSmall);

    private void AssertFlowers(IImageDataset ds, List<FixtureImage> images, FlowersSpec spec)
    {
        var (FlowersLabels, FlowersTrnId, FlowersValId, FlowersTstId) = (spec.Labels, spec.TrnId, spec.ValId, spec.TstId);
        Describe(ds);
        Assert.Equal(3, ds.Channels);
        Assert.Equal(3, ds.Mean.Count);
        Assert.Equal(3, ds.Std.Count);
        Assert.Equal(102, ds.ClassNames.Count);
        Assert.All(ds.ClassNames, n => Assert.False(string.IsNullOrWhiteSpace(n)));
        Assert.Equal(102, ds.ClassNames.Distinct().Count());
        // The loader names the classes (the archive has only numbers); spot-check the usual list's order.
        Assert.Equal("pink primrose", ds.ClassNames[0], ignoreCase: true);
        Assert.Equal("petunia", ds.ClassNames[50], ignoreCase: true);
        Assert.Equal("passion flower", ds.ClassNames[76], ignoreCase: true);
        Assert.Equal("blackberry lily", ds.ClassNames[101], ignoreCase: true);
        Assert.Null(ds.FixedSize); // the images have different sizes

        Assert.Equal(3, ds.Splits.Count);
        var train = Assert.Single(ds.Splits, s => s.Role == SplitRole.Train);
        var val = Assert.Single(ds.Splits, s => s.Role == SplitRole.Validation);
        var test = Assert.Single(ds.Splits, s => s.Role == SplitRole.Test);
        Assert.Equal(FlowersTrnId.Length, train.Images.Count);
        Assert.Equal(FlowersValId.Length, val.Images.Count);
        Assert.Equal(FlowersTstId.Length, test.Images.Count);

        var dataset = images.Where(i => i.Group != "segmentation").ToList();
        var seen = ReadEverySample(ds, images);
        Assert.Equal(dataset.Count, seen.Count);
        Assert.Equal(dataset.Count, seen.Select(s => s.Image).Distinct().Count()); // every image exactly once
        AssertSplitHolds(seen, train, images.Where(i => i.Group == "trnid"));
        AssertSplitHolds(seen, val, images.Where(i => i.Group == "valid"));
        AssertSplitHolds(seen, test, images.Where(i => i.Group == "tstid"));
        foreach (var s in seen)
        {
            var id = int.Parse(Path.GetFileNameWithoutExtension(s.Image.RelativePath)["image_".Length..]);
            Assert.Equal(FlowersLabels[id - 1] - 1, s.Sample.Label);
        }
        Assert.Contains(seen, s => s.Sample.Label == 0);
        Assert.Contains(seen, s => s.Sample.Label == 101);

        AssertPretrainingUsesTheSplits(ds);
        AssertNoBadImages(ds);
    }

    [Fact]
    public void Flowers102_without_setid_mat_fails_naming_it()
    {
        using var tmp = new TempRoot();
        WriteFlowers102(tmp.Path, FlowersMatFlavour.CompressedDouble);
        File.Delete(Path.Combine(tmp.Path, "setid.mat"));
        var e = Assert.Throws<DatasetException>(() => new Flowers102Plugin().Open(new Flowers102Options { Root = tmp.Path }).Dispose());
        output.WriteLine(e.Message);
        Assert.Contains("setid.mat", e.Message);
    }

    // ───────────────────────────── Oxford-IIIT Pets ─────────────────────────────

    [Fact]
    public void Pets_official_layout_gives_trainval_and_test_with_37_breeds()
    {
        using var tmp = new TempRoot();
        var images = WritePets(tmp.Path);
        using var ds = new OxfordPetsPlugin().Open(new OxfordPetsOptions { Root = tmp.Path });
        Describe(ds);

        Assert.Equal(3, ds.Channels);
        Assert.Equal(37, ds.ClassNames.Count);
        for (var c = 0; c < 37; c++)
            Assert.Equal(Simplify(PetsBreeds[c].Breed), Simplify(ds.ClassNames[c]));

        var test = Assert.Single(ds.Splits, s => s.Role == SplitRole.Test);
        var trainLike = ds.Splits.Where(s => s.Role != SplitRole.Test).ToList();
        Assert.Contains(trainLike, s => s.Role == SplitRole.Train);

        var listed = images.Where(i => i.Group != "unlisted").ToList();
        var seen = ReadEverySample(ds, images);
        Assert.Equal(listed.Count, seen.Count);
        Assert.Equal(listed.Count, seen.Select(s => s.Image).Distinct().Count());
        Assert.DoesNotContain(seen, s => s.Image.Group == "unlisted");
        AssertSplitHolds(seen, test, images.Where(i => i.Group == "test"));
        // trainval.txt may be kept whole as Train, or have a validation part carved out of it.
        Assert.Equal(
            images.Where(i => i.Group == "trainval").Select(i => i.RelativePath).Order(),
            seen.Where(s => s.Split.Role != SplitRole.Test).Select(s => s.Image.RelativePath).Order());
        foreach (var s in seen)
        {
            Assert.Equal(s.Image.ExpectedLabel, s.Sample.Label);
            Assert.Equal(Simplify(s.Image.ExpectedClassName), Simplify(ds.ClassNames[s.Sample.Label]));
        }
        // The grayscale and PNG-bytes files were among them, decoded to RGB.
        Assert.Contains(seen, s => s.Image.Encoding == FixtureEncoding.GrayJpeg);
        Assert.Contains(seen, s => s.Image.Encoding == FixtureEncoding.PngNamedJpg);
        Assert.Contains(seen, s => s.Image.Encoding == FixtureEncoding.CmykJpeg);

        AssertPretrainingUsesTheSplits(ds);
        AssertNoBadImages(ds); // the stray .mat files and unlisted images are not the dataset's
    }

    [Fact]
    public void Pets_class_names_are_the_breeds_of_the_file_names()
    {
        using var tmp = new TempRoot();
        WritePets(tmp.Path);
        using var ds = new OxfordPetsPlugin().Open(new OxfordPetsOptions { Root = tmp.Path });
        // Documented behaviour check: either the raw breed ("american_pit_bull_terrier", "Egyptian_Mau") or a
        // prettified form ("American Pit Bull Terrier", "Egyptian Mau"); never with the trailing _<n>.
        Assert.DoesNotContain(ds.ClassNames, n => char.IsDigit(n[^1]));
        output.WriteLine(string.Join(" | ", ds.ClassNames));
    }

    [Fact]
    public void Pets_without_annotations_fails_naming_the_folder()
    {
        using var tmp = new TempRoot();
        WritePets(tmp.Path);
        Directory.Delete(Path.Combine(tmp.Path, "annotations"), recursive: true);
        var e = Assert.Throws<DatasetException>(() => new OxfordPetsPlugin().Open(new OxfordPetsOptions { Root = tmp.Path }).Dispose());
        output.WriteLine(e.Message);
        Assert.Contains("annotations", e.Message);
    }

    // ───────────────────────────── ImageNet-100 ─────────────────────────────

    [Fact]
    public void Fixture_class_list_is_100_distinct_synsets()
    {
        Assert.Equal(100, Cmc100.Length);
        Assert.Equal(100, Cmc100.Distinct().Count());
        Assert.Empty(NotInCmc.Intersect(Cmc100));
        Assert.All(Cmc100, w => Assert.Matches("^n[0-9]{8}$", w));
    }

    [Fact]
    public void ImageNet100_default_list_keeps_the_CMC_classes_and_ignores_the_others()
    {
        using var tmp = new TempRoot();
        var images = WriteImageNet(tmp.Path);
        using var ds = new ImageNet100Plugin().Open(new ImageNet100Options { Root = tmp.Path });
        Describe(ds);
        Assert.Equal(100, ds.ClassNames.Count);
        AssertImageNet(ds, images, Cmc100);
    }

    [Fact]
    public void ImageNet100_custom_class_list_with_comments_selects_only_its_synsets()
    {
        using var tmp = new TempRoot();
        var images = WriteImageNet(tmp.Path);
        var list = Path.Combine(tmp.Path, "my-classes.txt");
        File.WriteAllText(list, "# three synsets for a smoke test\nn01440764\n\n# bonnet\nn02869837\nn15075141\n");
        using var ds = new ImageNet100Plugin().Open(new ImageNet100Options { Root = tmp.Path, ClassList = list });
        Describe(ds);
        Assert.Equal(3, ds.ClassNames.Count);
        AssertImageNet(ds, images, ["n01440764", "n02869837", "n15075141"]);
    }

    [Fact]
    public void ImageNet100_custom_class_list_written_on_Windows_is_read()
    {
        using var tmp = new TempRoot();
        var images = WriteImageNet(tmp.Path);
        var list = Path.Combine(tmp.Path, "windows-classes.txt");
        File.WriteAllText(list, "# edited in Notepad\r\nn01443537  \r\nn01749939\r\n");
        using var ds = new ImageNet100Plugin().Open(new ImageNet100Options { Root = tmp.Path, ClassList = list });
        Assert.Equal(2, ds.ClassNames.Count);
        AssertImageNet(ds, images, ["n01443537", "n01749939"]);
    }

    [Fact]
    public void ImageNet100_without_val_fails_naming_it()
    {
        using var tmp = new TempRoot();
        WriteImageNet(tmp.Path);
        Directory.Delete(Path.Combine(tmp.Path, "val"), recursive: true);
        var e = Assert.Throws<DatasetException>(() => new ImageNet100Plugin().Open(new ImageNet100Options { Root = tmp.Path }).Dispose());
        output.WriteLine(e.Message);
        Assert.Contains("val", e.Message);
    }

    [Fact]
    public void ImageNet100_with_val_as_unpacked_flat_from_ILSVRC2012_img_val_tar_fails_instead_of_an_empty_split()
    {
        // ILSVRC2012_img_val.tar unpacks to 50,000 files with no class folders; they must be sorted first (valprep.sh).
        using var tmp = new TempRoot();
        WriteImageNet(tmp.Path);
        var val = Path.Combine(tmp.Path, "val");
        foreach (var f in Directory.GetFiles(val, "*.JPEG", SearchOption.AllDirectories))
            File.Move(f, Path.Combine(val, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(val)) Directory.Delete(d);
        var e = Assert.Throws<DatasetException>(() => new ImageNet100Plugin().Open(new ImageNet100Options { Root = tmp.Path }).Dispose());
        output.WriteLine(e.Message);
        Assert.Contains("val", e.Message);
    }

    [Fact]
    public void ImageNet100_missing_a_listed_class_fails_naming_the_synset()
    {
        using var tmp = new TempRoot();
        WriteImageNet(tmp.Path);
        Directory.Delete(Path.Combine(tmp.Path, "train", "n02090622"), recursive: true);
        var e = Assert.Throws<DatasetException>(() => new ImageNet100Plugin().Open(new ImageNet100Options { Root = tmp.Path }).Dispose());
        output.WriteLine(e.Message);
        Assert.Contains("n02090622", e.Message);
    }

    private void AssertImageNet(IImageDataset ds, List<FixtureImage> images, IReadOnlyList<string> classes)
    {
        Assert.Equal(3, ds.Channels);
        Assert.Equal(classes.Order(), ds.ClassNames.Order());

        var kept = images.Where(i => classes.Contains(i.ExpectedClassName)).ToList();
        var seen = ReadEverySample(ds, images);
        Assert.Equal(kept.Count, seen.Count);
        Assert.Equal(kept.Count, seen.Select(s => s.Image).Distinct().Count());
        Assert.All(seen, s => Assert.Contains(s.Image.ExpectedClassName, classes));
        foreach (var s in seen)
            Assert.Equal(s.Image.ExpectedClassName, ds.ClassNames[s.Sample.Label]);

        // val/ is held out: never in a Train split; train/ images never in a Test split; no split mixes the two.
        Assert.All(seen.Where(s => s.Image.Group == "val"), s => Assert.NotEqual(SplitRole.Train, s.Split.Role));
        Assert.All(seen.Where(s => s.Image.Group == "train"), s => Assert.NotEqual(SplitRole.Test, s.Split.Role));
        foreach (var split in ds.Splits)
            Assert.True(seen.Where(s => s.Split == split).Select(s => s.Image.Group).Distinct().Count() <= 1,
                $"split {split.Name} mixes train/ and val/ images");
        Assert.Contains(ds.Splits, s => s.Role == SplitRole.Train);

        AssertPretrainingUsesTheSplits(ds);
        AssertNoBadImages(ds);
    }

    // ───────────────────────────── shared checks ─────────────────────────────

    /// <summary>Reads every sample of every split; each must be an RGB image of a fixture file's exact size and colour.</summary>
    private static List<Seen> ReadEverySample(IImageDataset ds, IReadOnlyList<FixtureImage> images)
    {
        var bySize = images.ToDictionary(i => (i.Width, i.Height));
        var seen = new List<Seen>();
        foreach (var split in ds.Splits)
        {
            for (var i = 0; i < split.Images.Count; i++)
            {
                var sample = split.Images.Read(i);
                Assert.Equal(3, sample.Channels);
                Assert.Equal(sample.Width * sample.Height * 3, sample.Pixels.Length);
                Assert.True(bySize.TryGetValue((sample.Width, sample.Height), out var image),
                    $"split '{split.Name}' #{i}: a {sample.Width}×{sample.Height} image matches no fixture file");
                Assert.Equal(sample.Label, split.Images.LabelAt(i));
                AssertColour(sample, image!);
                seen.Add(new Seen(split, i, sample, image!));
            }
        }
        return seen;
    }

    private static void AssertColour(ImageSample sample, FixtureImage image)
    {
        var p = ((sample.Height / 2) * sample.Width + sample.Width / 2) * 3;
        var (r, g, b) = (sample.Pixels[p], sample.Pixels[p + 1], sample.Pixels[p + 2]);
        const int tolerance = 16;
        Assert.True(Math.Abs(r - image.Color.Red) <= tolerance && Math.Abs(g - image.Color.Green) <= tolerance
                    && Math.Abs(b - image.Color.Blue) <= tolerance,
            $"{image.RelativePath} ({image.Encoding}): centre pixel ({r},{g},{b}), expected about " +
            $"({image.Color.Red},{image.Color.Green},{image.Color.Blue})");
    }

    private static void AssertSplitHolds(List<Seen> seen, DatasetSplit split, IEnumerable<FixtureImage> expected) =>
        Assert.Equal(expected.Select(i => i.RelativePath).Order(),
            seen.Where(s => s.Split == split).Select(s => s.Image.RelativePath).Order());

    /// <summary>
    /// Pre-training splits are some of the dataset's splits and include its Train split. (The loaders deliberately
    /// pre-train on every split, test included, labels ignored, as the papers they follow do: not checked either way.)
    /// </summary>
    private static void AssertPretrainingUsesTheSplits(IImageDataset ds)
    {
        Assert.NotEmpty(ds.PretrainingSplits);
        Assert.All(ds.PretrainingSplits, s => Assert.Contains(s, ds.Splits));
        Assert.Contains(ds.PretrainingSplits, s => s.Role == SplitRole.Train);
    }

    private static void AssertNoBadImages(IImageDataset ds)
    {
        if (ds is IBadImageReport report)
            Assert.True(report.BadImageCount == 0,
                $"{report.BadImageCount} bad images: {string.Join("; ", report.FirstBadImages.Select(b => $"{b.Path}: {b.Reason}"))}");
    }

    /// <summary>"American Pit Bull Terrier", "american_pit_bull_terrier" → "americanpitbullterrier".</summary>
    private static string Simplify(string name) =>
        new string(name.Where(char.IsLetterOrDigit).ToArray()).ToLowerInvariant();

    private void Describe(IImageDataset ds)
    {
        output.WriteLine(ds.Description);
        foreach (var s in ds.Splits)
            output.WriteLine($"split '{s.Name}' ({s.Role}): {s.Images.Count} images{(ds.PretrainingSplits.Contains(s) ? ", pre-training" : "")}");
        output.WriteLine($"{ds.ClassNames.Count} classes: {string.Join(" | ", ds.ClassNames.Take(6))} …");
    }
}
