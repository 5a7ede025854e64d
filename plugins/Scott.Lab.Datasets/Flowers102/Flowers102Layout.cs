namespace Scott.Lab.Datasets.Flowers102;

/// <summary>The files of Oxford Flowers-102 and its class names.</summary>
public static class Flowers102Layout
{
    public const string DownloadUrl = "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/";
    public const string ImagesFolder = "jpg";
    public const string LabelsFile = "imagelabels.mat";
    public const string SplitsFile = "setid.mat";
    public const int ClassCount = 102;

    public const string ExpectedLayout =
        "Expected jpg/image_00001.jpg … jpg/image_08189.jpg, imagelabels.mat (variable 'labels') and setid.mat "
        + "(variables 'trnid', 'valid', 'tstid'), from " + DownloadUrl + " (102flowers.tgz, imagelabels.mat, setid.mat)";

    /// <summary>jpg/image_00042.jpg for 1-based image index 42.</summary>
    public static string ImagePath(string root, int index) => Path.Combine(root, ImagesFolder, $"image_{index:D5}.jpg");

    /// <summary>
    /// The 102 class names in label order (label 1 = "pink primrose"): the names the dataset's category page gives,
    /// lower-case, as the reference code bases spell them (including their "barbeton daisy").
    /// </summary>
    public static IReadOnlyList<string> ClassNames { get; } =
    [
        "pink primrose", "hard-leaved pocket orchid", "canterbury bells", "sweet pea", "english marigold",
        "tiger lily", "moon orchid", "bird of paradise", "monkshood", "globe thistle",
        "snapdragon", "colt's foot", "king protea", "spear thistle", "yellow iris",
        "globe-flower", "purple coneflower", "peruvian lily", "balloon flower", "giant white arum lily",
        "fire lily", "pincushion flower", "fritillary", "red ginger", "grape hyacinth",
        "corn poppy", "prince of wales feathers", "stemless gentian", "artichoke", "sweet william",
        "carnation", "garden phlox", "love in the mist", "mexican aster", "alpine sea holly",
        "ruby-lipped cattleya", "cape flower", "great masterwort", "siam tulip", "lenten rose",
        "barbeton daisy", "daffodil", "sword lily", "poinsettia", "bolero deep blue",
        "wallflower", "marigold", "buttercup", "oxeye daisy", "common dandelion",
        "petunia", "wild pansy", "primula", "sunflower", "pelargonium",
        "bishop of llandaff", "gaura", "geranium", "orange dahlia", "pink-yellow dahlia",
        "cautleya spicata", "japanese anemone", "black-eyed susan", "silverbush", "californian poppy",
        "osteospermum", "spring crocus", "bearded iris", "windflower", "tree poppy",
        "gazania", "azalea", "water lily", "rose", "thorn apple",
        "morning glory", "passion flower", "lotus", "toad lily", "anthurium",
        "frangipani", "clematis", "hibiscus", "columbine", "desert-rose",
        "tree mallow", "magnolia", "cyclamen", "watercress", "canna lily",
        "hippeastrum", "bee balm", "ball moss", "foxglove", "bougainvillea",
        "camellia", "mallow", "mexican petunia", "bromelia", "blanket flower",
        "trumpet creeper", "blackberry lily",
    ];
}
