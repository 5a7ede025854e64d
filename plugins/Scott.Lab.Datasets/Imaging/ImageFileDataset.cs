using Scott.Lab.Abstractions.Data;

namespace Scott.Lab.Datasets.Imaging;

/// <summary>One split as a layout lists it, before its files are checked.</summary>
public sealed record ImageSplitSpec(string Name, SplitRole Role, IReadOnlyList<LabeledFile> Files);

/// <summary>
/// A dataset of RGB image files in splits (<see cref="ImageFileSource"/>), shared by every image-file plugin: they
/// differ only in how they find the files, labels and class names. Opening checks every file once (in parallel,
/// see <see cref="ImageDecoder.Check"/>) and applies the <c>bad_images</c> policy: <c>skip</c> leaves unreadable
/// files out and reports them through <see cref="IBadImageReport"/>; <c>fail</c> refuses to open, listing them.
/// </summary>
public sealed class ImageFileDataset : IImageDataset, IBadImageReport
{
    /// <summary>ImageNet statistics, the usual normalisation for RGB photographs.</summary>
    public static IReadOnlyList<float> ImageNetMean { get; } = [0.485f, 0.456f, 0.406f];
    public static IReadOnlyList<float> ImageNetStd { get; } = [0.229f, 0.224f, 0.225f];

    /// <summary>How many unreadable files are reported by name (the count covers all).</summary>
    public const int ReportedBadImages = 10;

    private ImageFileDataset(
        string description, IReadOnlyList<string> classNames, IReadOnlyList<DatasetSplit> splits,
        IReadOnlyList<DatasetSplit> pretrainingSplits, int badCount, IReadOnlyList<BadImage> firstBad)
    {
        Description = description;
        ClassNames = classNames.ToArray();
        Splits = splits;
        PretrainingSplits = pretrainingSplits;
        BadImageCount = badCount;
        FirstBadImages = firstBad;
    }

    /// <summary>
    /// Checks the files of <paramref name="splits"/> and builds the dataset. Fails with a DatasetException that names
    /// <paramref name="root"/> and <paramref name="expectedLayout"/> when no image is usable, and, with
    /// <c>bad_images: fail</c>, when any file is unreadable.
    /// </summary>
    public static ImageFileDataset Open(
        string description,
        IReadOnlyList<string> classNames,
        IReadOnlyList<ImageSplitSpec> splits,
        IReadOnlyList<string> pretrainingSplitNames,
        ImageFileOptions options,
        string root,
        string expectedLayout)
    {
        ArgumentNullException.ThrowIfNull(splits);
        ArgumentNullException.ThrowIfNull(options);
        if (options.BadImages is not (ImageFileOptions.Skip or ImageFileOptions.Fail))
            throw new DatasetException($"dataset.options.bad_images must be \"{ImageFileOptions.Skip}\" or \"{ImageFileOptions.Fail}\", got \"{options.BadImages}\".");
        if (options.DecodeSize < 0)
            throw new DatasetException($"dataset.options.decode_size must be 0 (full size) or a positive number of pixels, got {options.DecodeSize}.");
        if (options.MaxImageSide < 1)
            throw new DatasetException($"dataset.options.max_image_side must be a positive number of pixels, got {options.MaxImageSide}.");
        if (options.MaxImageMegapixels is < 1 or > ImageLimits.HighestMaxMegapixels)
            throw new DatasetException($"dataset.options.max_image_megapixels must lie in 1..{ImageLimits.HighestMaxMegapixels}, got {options.MaxImageMegapixels}.");
        var limits = options.Limits();

        int total = splits.Sum(s => s.Files.Count);
        if (total == 0)
            throw new DatasetException($"No images found in {root}. {expectedLayout}");

        // Check each file once, even when a layout lists it in two splits.
        var paths = splits.SelectMany(s => s.Files).Select(f => f.Path).Distinct(StringComparer.Ordinal).ToArray();
        var reasons = new string?[paths.Length];
        Parallel.For(0, paths.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i => reasons[i] = ImageDecoder.Check(paths[i], limits));
        var bad = paths.Zip(reasons).Where(p => p.Second is not null).Select(p => new BadImage(p.First, p.Second!)).ToList();
        var badPaths = bad.Select(b => b.Path).ToHashSet(StringComparer.Ordinal);

        if (bad.Count > 0 && options.BadImages == ImageFileOptions.Fail)
            throw new DatasetException(
                $"{bad.Count} unreadable image file{(bad.Count == 1 ? "" : "s")} in {root}: {List(bad)}. "
                + "Remove or replace them, or set dataset.options.bad_images=skip to leave them out.");
        if (bad.Count == paths.Length)
            throw new DatasetException(
                $"No usable images in {root}: all {paths.Length} image file{(paths.Length == 1 ? " is" : "s are")} unreadable ({List(bad)}). {expectedLayout}");

        var built = splits
            .Select(spec => new DatasetSplit(spec.Name, spec.Role,
                new ImageFileSource(spec.Files.Where(f => !badPaths.Contains(f.Path)), options.DecodeSize, limits)))
            .ToList();
        var pretraining = pretrainingSplitNames
            .Select(name => built.FirstOrDefault(s => s.Name == name)
                ?? throw new ArgumentException($"Unknown pre-training split '{name}'.", nameof(pretrainingSplitNames)))
            .ToList();
        return new ImageFileDataset(description, classNames, built, pretraining, bad.Count, bad.Take(ReportedBadImages).ToList());
    }

    private static string List(IReadOnlyList<BadImage> bad) =>
        string.Join("; ", bad.Take(ReportedBadImages).Select(b => $"{b.Path} ({b.Reason})"))
        + (bad.Count > ReportedBadImages ? $"; and {bad.Count - ReportedBadImages} more" : "");

    public string Description { get; }

    /// <summary>Always 3: every image is converted to RGB.</summary>
    public int Channels => 3;

    public IReadOnlyList<float> Mean => ImageNetMean;
    public IReadOnlyList<float> Std => ImageNetStd;
    public IReadOnlyList<string> ClassNames { get; }
    public IReadOnlyList<DatasetSplit> Splits { get; }
    public IReadOnlyList<DatasetSplit> PretrainingSplits { get; }

    /// <summary>Null: photographs come in many sizes; the host crops and resizes.</summary>
    public (int Width, int Height)? FixedSize => null;

    public int BadImageCount { get; }
    public IReadOnlyList<BadImage> FirstBadImages { get; }

    /// <summary>Nothing to release: files are opened per read.</summary>
    public void Dispose() { }
}
