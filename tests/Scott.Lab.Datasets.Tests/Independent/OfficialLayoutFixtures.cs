using System.Text;

namespace Scott.Lab.Datasets.Tests.Independent;

/// <summary>How the Flowers-102 .mat files of a fixture are written.</summary>
public enum FlowersMatFlavour
{
    /// <summary>MATLAB -v7 default: every variable in an miCOMPRESSED (zlib) element, real part miDOUBLE.</summary>
    CompressedDouble,
    /// <summary>-v6 / scipy.io.savemat default: bare miMATRIX elements, real part miDOUBLE.</summary>
    UncompressedDouble,
    /// <summary>MATLAB -v7 with its integer narrowing: mxDOUBLE_CLASS arrays stored as miUINT8 / miUINT16 data.</summary>
    CompressedNarrowed,
    /// <summary>imagelabels.mat compressed, setid.mat with trnid compressed and valid/tstid bare (mixed elements).</summary>
    Mixed,
}

/// <summary>
/// Fixtures in the layouts the three datasets are distributed in, written from the datasets' own documentation
/// (not from the loaders). Each keeps the list of images it wrote, grouped by the official split they belong to.
/// </summary>
internal static class OfficialLayoutFixtures
{
    // ───────────────────────────── Oxford Flowers-102 ─────────────────────────────
    // 102flowers.tgz → jpg/image_00001.jpg … jpg/image_08189.jpg (1-based, 5 digits);
    // imagelabels.mat: labels (1×8189 double, 1..102); setid.mat: trnid, valid, tstid (1×n double, 1-based ids).

    /// <summary>Official 1-based labels of the fixture's images 1..24 (min 1 and max 102 both used).</summary>
    public static readonly int[] FlowersLabels =
        [77, 1, 102, 2, 51, 3, 77, 1, 102, 2, 51, 3, 77, 1, 102, 2, 51, 3, 77, 1, 102, 2, 51, 3];

    // Like the real setid.mat, the ids are not in ascending order.
    public static readonly int[] FlowersTrnId = [13, 2, 7, 20, 1, 24];
    public static readonly int[] FlowersValId = [3, 14, 8, 19, 5, 22];
    public static readonly int[] FlowersTstId = [23, 21, 18, 17, 16, 15, 12, 11, 10, 9, 6, 4];

    /// <summary>Labels (1-based, image i at [i-1]) and the three id lists of setid.mat.</summary>
    public sealed record FlowersSpec(int[] Labels, int[] TrnId, int[] ValId, int[] TstId);

    public static readonly FlowersSpec FlowersSmall = new(FlowersLabels, FlowersTrnId, FlowersValId, FlowersTstId);

    /// <summary>300 images, so that ids above 255 make MATLAB's narrowing use miUINT16 for setid.mat (labels stay miUINT8).</summary>
    public static FlowersSpec FlowersLarge()
    {
        var labels = Enumerable.Range(1, 300).Select(i => new[] { 102, 1, 40, 77, 2 }[i % 5]).ToArray();
        var ids = Enumerable.Range(1, 300).Reverse().ToArray(); // descending: not sorted, like the real trnid
        return new(labels, ids.Where(i => i % 10 == 0).ToArray(), ids.Where(i => i % 10 == 5).ToArray(),
            ids.Where(i => i % 5 != 0).ToArray());
    }

    public static List<FixtureImage> WriteFlowers102(string root, FlowersMatFlavour flavour) =>
        WriteFlowers102(root, flavour, FlowersSmall);

    public static List<FixtureImage> WriteFlowers102(string root, FlowersMatFlavour flavour, FlowersSpec spec)
    {
        var (FlowersLabels, FlowersTrnId, FlowersValId, FlowersTstId) = (spec.Labels, spec.TrnId, spec.ValId, spec.TstId);
        var writer = new FixtureImageWriter(root);
        for (var id = 1; id <= FlowersLabels.Length; id++)
        {
            var group = FlowersTrnId.Contains(id) ? "trnid" : FlowersValId.Contains(id) ? "valid" : FlowersTstId.Contains(id) ? "tstid"
                : throw new InvalidOperationException($"id {id} in no split");
            writer.Write($"jpg/image_{id:D5}.jpg", FlowersLabels[id - 1] - 1, "", group);
        }

        // 102segmentations.tgz unpacked beside it (segmim/segmim_00001.jpg …): not part of the dataset.
        writer.Write("segmim/segmim_00001.jpg", -1, "", "segmentation");
        writer.Write("segmim/segmim_00002.jpg", -1, "", "segmentation");

        var storage = flavour == FlowersMatFlavour.CompressedNarrowed ? MatRealStorage.NarrowedInteger : MatRealStorage.Double;
        bool compressLabels = flavour != FlowersMatFlavour.UncompressedDouble;
        bool compressTrn = flavour != FlowersMatFlavour.UncompressedDouble;
        bool compressRest = flavour is FlowersMatFlavour.CompressedDouble or FlowersMatFlavour.CompressedNarrowed;

        new MatV5Writer().AddRowVector("labels", FlowersLabels, compressLabels, storage).Save(Path.Combine(root, "imagelabels.mat"));
        new MatV5Writer()
            .AddRowVector("trnid", FlowersTrnId, compressTrn, storage)
            .AddRowVector("valid", FlowersValId, compressRest, storage)
            .AddRowVector("tstid", FlowersTstId, compressRest, storage)
            .Save(Path.Combine(root, "setid.mat"));
        return writer.Written;
    }

    // ───────────────────────────── Oxford-IIIT Pets ─────────────────────────────
    // images.tar.gz → images/<Breed>_<n>.jpg (cats capitalised, dogs lower case) plus a few stray .mat files;
    // annotations.tar.gz → annotations/list.txt (6 '#' lines then "name class species breed"), trainval.txt, test.txt.

    /// <summary>The 37 breeds in class-id order (1..37), with species (1 cat, 2 dog) and breed id within the species.</summary>
    public static readonly (string Breed, int Species, int BreedId)[] PetsBreeds =
    [
        ("Abyssinian", 1, 1), ("american_bulldog", 2, 1), ("american_pit_bull_terrier", 2, 2), ("basset_hound", 2, 3),
        ("beagle", 2, 4), ("Bengal", 1, 2), ("Birman", 1, 3), ("Bombay", 1, 4), ("boxer", 2, 5),
        ("British_Shorthair", 1, 5), ("chihuahua", 2, 6), ("Egyptian_Mau", 1, 6), ("english_cocker_spaniel", 2, 7),
        ("english_setter", 2, 8), ("german_shorthaired", 2, 9), ("great_pyrenees", 2, 10), ("havanese", 2, 11),
        ("japanese_chin", 2, 12), ("keeshond", 2, 13), ("leonberger", 2, 14), ("Maine_Coon", 1, 7),
        ("miniature_pinscher", 2, 15), ("newfoundland", 2, 16), ("Persian", 1, 8), ("pomeranian", 2, 17),
        ("pug", 2, 18), ("Ragdoll", 1, 9), ("Russian_Blue", 1, 10), ("saint_bernard", 2, 19), ("samoyed", 2, 20),
        ("scottish_terrier", 2, 21), ("shiba_inu", 2, 22), ("Siamese", 1, 11), ("Sphynx", 1, 12),
        ("staffordshire_bull_terrier", 2, 23), ("wheaten_terrier", 2, 24), ("yorkshire_terrier", 2, 25),
    ];

    public static readonly string[] PetsListHeader =
    [
        "#Image CLASS-ID SPECIES BREED ID",
        "#ID: 1:37 Class ids",
        "#SPECIES: 1:Cat 2:Dog",
        "#BREED ID: 1-25:Cat 1:12:Dog",
        "#All images with 1st letter as captial are cat images",
        "#images with small first letter are dog images",
    ];

    public static List<FixtureImage> WritePets(string root)
    {
        var writer = new FixtureImageWriter(root);
        var lines = new List<(int ClassId, string Name, string Group)>();

        void Add(int classId, int n, string group, FixtureEncoding encoding = FixtureEncoding.ColorJpeg)
        {
            var breed = PetsBreeds[classId - 1].Breed;
            var name = $"{breed}_{n}";
            writer.Write($"images/{name}.jpg", classId - 1, breed, group, encoding);
            lines.Add((classId, name, group));
        }

        for (var c = 1; c <= 37; c++)
        {
            Add(c, 100 + c, "trainval");
            Add(c, 150 + c, "test");
        }
        // Uneven counts, and names whose numbers sort as strings (_1 < _10 < _2).
        Add(1, 1, "trainval");
        Add(1, 10, "trainval");
        Add(1, 2, "test");
        Add(2, 10, "test");
        Add(37, 9, "trainval");
        // Real oddities: a grayscale JPEG and PNG data under a .jpg name.
        Add(12, 14, "trainval", FixtureEncoding.GrayJpeg);   // Egyptian_Mau_14
        Add(12, 167, "test", FixtureEncoding.PngNamedJpg);   // Egyptian_Mau_167
        Add(11, 121, "trainval", FixtureEncoding.GrayJpeg);  // chihuahua_121
        Add(5, 116, "test", FixtureEncoding.PngNamedJpg);    // beagle_116
        writer.WriteCmyk("images/Abyssinian_5.jpg", 0, "Abyssinian", "trainval"); // a CMYK JPEG
        lines.Add((1, "Abyssinian_5", "trainval"));

        // Files in images/ that no annotation lists: real JPEGs and the stray .mat files of the archive.
        writer.Write("images/Bengal_199.jpg", -1, "Bengal", "unlisted");
        writer.Write("images/beagle_200.jpg", -1, "beagle", "unlisted");
        writer.Write("images/Abyssinian_34.jpg", -1, "Abyssinian", "unlisted");
        foreach (var stray in new[] { "Abyssinian_100.mat", "Abyssinian_101.mat", "Abyssinian_102.mat" })
            new MatV5Writer().AddRowVector("bbox_xy", [10, 20, 30, 40, 50], compress: true).Save(Path.Combine(root, "images", stray));

        var ann = Directory.CreateDirectory(Path.Combine(root, "annotations")).FullName;
        // The rest of annotations.tar.gz: README, trimaps/ (with macOS "._" resource-fork twins) and xmls/.
        File.WriteAllText(Path.Combine(ann, "README"), "OXFORD-IIIT PET Dataset\n-----------------------\n");
        var trimaps = Directory.CreateDirectory(Path.Combine(ann, "trimaps")).FullName;
        File.WriteAllBytes(Path.Combine(trimaps, "Abyssinian_1.png"), FixtureImageWriter.OpaquePng(20, 20, new SkiaSharp.SKColor(2, 2, 2)));
        File.WriteAllBytes(Path.Combine(trimaps, "._Abyssinian_1.png"), [0x00, 0x05, 0x16, 0x07, 0x00, 0x02, 0x00, 0x00]);
        var xmls = Directory.CreateDirectory(Path.Combine(ann, "xmls")).FullName;
        File.WriteAllText(Path.Combine(xmls, "Abyssinian_1.xml"), "<annotation><filename>Abyssinian_1.jpg</filename></annotation>");
        string Line((int ClassId, string Name, string Group) l)
        {
            var (_, species, breedId) = PetsBreeds[l.ClassId - 1];
            return $"{l.Name} {l.ClassId} {species} {breedId}";
        }
        var ordered = lines.OrderBy(l => l.ClassId).ThenBy(l => l.Name, StringComparer.Ordinal).ToList();
        File.WriteAllText(Path.Combine(ann, "list.txt"),
            string.Concat(PetsListHeader.Select(h => h + "\n")) + string.Concat(ordered.Select(l => Line(l) + "\n")), Encoding.ASCII);
        File.WriteAllText(Path.Combine(ann, "trainval.txt"),
            string.Concat(ordered.Where(l => l.Group == "trainval").Select(l => Line(l) + "\n")), Encoding.ASCII);
        File.WriteAllText(Path.Combine(ann, "test.txt"),
            string.Concat(ordered.Where(l => l.Group == "test").Select(l => Line(l) + "\n")), Encoding.ASCII);
        return writer.Written;
    }

    // ───────────────────────────── ImageNet-100 ─────────────────────────────
    // ILSVRC-2012 ImageFolder: train/<wnid>/<wnid>_<n>.JPEG and val/<wnid>/ILSVRC2012_val_<8 digits>.JPEG
    // (val re-sorted into synset folders, as valprep.sh does), restricted to CMC's 100-class list.

    /// <summary>CMC's imagenet100.txt (Tian, Krishnan & Isola, 2019), as remembered by this fixture's author.</summary>
    public static readonly string[] Cmc100 =
    [
        "n02869837", "n01749939", "n02488291", "n02107142", "n13037406", "n02091831", "n04517823", "n04589890",
        "n03062245", "n01773797", "n01735189", "n07831146", "n07753275", "n03085013", "n04485082", "n02105505",
        "n01983481", "n02788148", "n03530642", "n04435653", "n02086910", "n02859443", "n13040303", "n03594734",
        "n02085620", "n02099849", "n01558993", "n04493381", "n02109047", "n04111531", "n02877765", "n04429376",
        "n02009229", "n01978455", "n02106550", "n01820546", "n01692333", "n07714571", "n02974003", "n02114855",
        "n03785016", "n03764736", "n03775546", "n02087046", "n07836838", "n04099969", "n04592741", "n03891251",
        "n02701002", "n03379051", "n02259212", "n07715103", "n03947888", "n04026417", "n02326432", "n03637318",
        "n01980166", "n02113799", "n02086240", "n03903868", "n02483362", "n04127249", "n02089973", "n03017168",
        "n02093428", "n02804414", "n02396427", "n04418357", "n02172182", "n01729322", "n02113978", "n03787032",
        "n02089867", "n02119022", "n03777754", "n04238763", "n02231487", "n03032252", "n02138441", "n02104029",
        "n03837869", "n03494278", "n04136333", "n03794056", "n03492542", "n02018207", "n04067472", "n03930630",
        "n03584829", "n02123045", "n04229816", "n02100583", "n03642806", "n04336792", "n03259280", "n02116738",
        "n02108089", "n03424325", "n01855672", "n02090622",
    ];

    /// <summary>ImageNet-1k synsets that are not in the CMC list (tench, goldfish, toilet tissue).</summary>
    public static readonly string[] NotInCmc = ["n01440764", "n01443537", "n15075141"];

    /// <summary>
    /// Writes train/ and val/ for every CMC class (2 train images for the first five, 1 otherwise; 1 val image) and
    /// for the three extra synsets. Expected labels are left at -1: they depend on the class list in use.
    /// </summary>
    public static List<FixtureImage> WriteImageNet(string root)
    {
        var writer = new FixtureImageWriter(root);
        var valNumber = 1000;
        var trainNumber = 10026;
        foreach (var wnid in Cmc100.Concat(NotInCmc))
        {
            var first5 = Array.IndexOf(Cmc100, wnid) is >= 0 and < 5;
            var encoding = wnid switch
            {
                "n02869837" => FixtureEncoding.GrayJpeg,     // a grayscale JPEG in the train set
                "n01749939" => FixtureEncoding.PngNamedJpg,  // PNG data under a .JPEG name (like n02105855_2933.JPEG)
                _ => FixtureEncoding.ColorJpeg,
            };
            writer.Write($"train/{wnid}/{wnid}_{trainNumber++}.JPEG", -1, wnid, "train", encoding);
            if (first5) writer.Write($"train/{wnid}/{wnid}_{trainNumber++}.JPEG", -1, wnid, "train");
            if (wnid == "n02488291") // a CMYK JPEG in the train set (like n01739381_1309.JPEG)
                writer.WriteCmyk($"train/{wnid}/{wnid}_{trainNumber++}.JPEG", -1, wnid, "train");
            var valName = wnid == "n01440764" ? "ILSVRC2012_val_00000293" : $"ILSVRC2012_val_{valNumber++:D8}";
            writer.Write($"val/{wnid}/{valName}.JPEG", -1, wnid, "val");
        }
        return writer.Written;
    }
}
