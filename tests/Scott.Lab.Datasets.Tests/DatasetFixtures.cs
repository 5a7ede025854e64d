using Scott.Lab.Datasets.Mat;
using SkiaSharp;

namespace Scott.Lab.Datasets.Tests;

/// <summary>Small copies of each dataset's real layout, written into a temp folder by the tests.</summary>
internal static class DatasetFixtures
{
    /// <summary>A distinct colour per class, so that a decoded image shows which class folder it came from.</summary>
    public static SKColor ClassColor(int label) => new((byte)(40 + 50 * (label % 5)), (byte)(200 - 30 * (label % 7)), (byte)(60 + 70 * (label % 3)));

    /// <summary>A 24×16 JPEG in the class's colour.</summary>
    public static byte[] ClassJpeg(int label) => TestImages.Jpeg(24, 16, ClassColor(label));

    public static string Write(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>
    /// Flowers-102: jpg/image_NNNNN.jpg for images 1..labels.Length (each in its label's colour), imagelabels.mat
    /// ('labels', 1×N, 1-based) and setid.mat ('trnid', 'valid', 'tstid', 1×n each), compressed or plain; plain files
    /// store the whole-number doubles compactly, as MATLAB does.
    /// </summary>
    public static void Flowers(string root, int[] labels, int[] trnid, int[] valid, int[] tstid, bool compressed)
    {
        for (int i = 0; i < labels.Length; i++)
            Write(Path.Combine(root, "jpg", $"image_{i + 1:D5}.jpg"), ClassJpeg(labels[i] - 1));
        var options = new MatWriteOptions(Compress: compressed, CompactIntegers: !compressed);
        static MatArray Row(string name, int[] values) => MatArray.Numeric(name, [1, values.Length], values.Select(v => (double)v).ToArray());
        MatWriter.Write(Path.Combine(root, "imagelabels.mat"), [Row("labels", labels)], options);
        MatWriter.Write(Path.Combine(root, "setid.mat"), [Row("trnid", trnid), Row("valid", valid), Row("tstid", tstid)], options);
    }

    /// <summary>One image of Oxford-IIIT Pets: its name (Breed_n), 1-based class id, species (1 cat, 2 dog), breed id.</summary>
    public sealed record PetImage(string Name, int ClassId, int Species, int BreedId);

    /// <summary>Pets: images/NAME.jpg for every image, and annotations/list.txt (all), trainval.txt, test.txt with the official header lines.</summary>
    public static void WritePets(string root, IReadOnlyList<PetImage> trainval, IReadOnlyList<PetImage> test)
    {
        Directory.CreateDirectory(Path.Combine(root, "images"));
        foreach (var image in trainval.Concat(test))
            Write(Path.Combine(root, "images", image.Name + ".jpg"), ClassJpeg(image.ClassId - 1));
        string Lines(IEnumerable<PetImage> images) =>
            string.Concat(images.Select(i => $"{i.Name} {i.ClassId} {i.Species} {i.BreedId}\n"));
        const string header = "#Image CLASS-ID SPECIES BREED ID\n#ID: 1:37 Class ids\n#SPECIES: 1:Cat 2:Dog\n#BREED ID: 1-25:Cat 1:12:Dog\n#All images with 1st letter as captial are cat images\n#images with small first letter are dog images\n";
        Directory.CreateDirectory(Path.Combine(root, "annotations"));
        File.WriteAllText(Path.Combine(root, "annotations", "list.txt"), header + Lines(trainval.Concat(test).OrderBy(i => i.Name, StringComparer.Ordinal)));
        File.WriteAllText(Path.Combine(root, "annotations", "trainval.txt"), Lines(trainval));
        File.WriteAllText(Path.Combine(root, "annotations", "test.txt"), Lines(test));
    }

    /// <summary>An ImageFolder tree: ROOT/&lt;class&gt;/img_i.jpg, <paramref name="perClass"/> images per class.</summary>
    public static void ClassFolders(string root, IEnumerable<string> classes, int perClass)
    {
        var jpeg = TestImages.Jpeg(12, 10, TestImages.Green); // one encoding, many copies: fast
        foreach (var cls in classes)
            for (int i = 0; i < perClass; i++)
                Write(Path.Combine(root, cls, $"img_{i}.jpg"), jpeg);
    }
}
