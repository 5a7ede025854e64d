using Scott.Lab.Abstractions.Data;

namespace Scott.Lab.Datasets.Idx;

/// <summary>One split of an IDX dataset: its name and role, and the stems of its image and label files.</summary>
public sealed record IdxSplitSpec(string Name, SplitRole Role, string ImagesStem, string LabelsStem);

/// <summary>
/// A dataset whose splits are IDX image/label pairs held in memory (<see cref="IdxImageSource"/>). Shared by every
/// IDX-based plugin: they differ only in where the files come from and in their class names and statistics.
/// </summary>
public sealed class IdxImageDataset : IImageDataset
{
    public IdxImageDataset(
        string description,
        IReadOnlyList<string> classNames,
        IReadOnlyList<float> mean,
        IReadOnlyList<float> std,
        IReadOnlyList<DatasetSplit> splits,
        IReadOnlyList<DatasetSplit> pretrainingSplits)
    {
        ArgumentNullException.ThrowIfNull(splits);
        ArgumentNullException.ThrowIfNull(pretrainingSplits);
        if (splits.Count == 0) throw new ArgumentException("A dataset needs at least one split.", nameof(splits));
        var sources = splits.Concat(pretrainingSplits).Select(s => s.Images as IdxImageSource
            ?? throw new ArgumentException($"Split '{s.Name}' is not an {nameof(IdxImageSource)}.")).ToList();
        var first = sources[0];
        if (sources.Any(s => s.Width != first.Width || s.Height != first.Height))
            throw new DatasetException("The splits' IDX files have different image sizes: "
                + string.Join(", ", sources.Distinct().Select(s => $"{s.ImagesName} {s.Width}×{s.Height}")) + ".");

        Description = description;
        ClassNames = classNames.ToArray();
        Mean = mean.ToArray();
        Std = std.ToArray();
        if (Mean.Count != Channels || Std.Count != Channels)
            throw new ArgumentException($"Mean and Std need {Channels} value(s), one per channel.");
        Splits = splits.ToArray();
        PretrainingSplits = pretrainingSplits.ToArray();
        FixedSize = (first.Width, first.Height);
    }

    /// <summary>
    /// Reads each split's image and label files from <paramref name="store"/> and builds the dataset;
    /// <paramref name="pretrainingSplitNames"/> picks (by name, in order) the splits used for pre-training.
    /// </summary>
    public static IdxImageDataset Load(
        string description,
        IReadOnlyList<string> classNames,
        IReadOnlyList<float> mean,
        IReadOnlyList<float> std,
        IReadOnlyList<IdxSplitSpec> splits,
        IReadOnlyList<string> pretrainingSplitNames,
        IdxFileStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var loaded = splits
            .Select(spec => new DatasetSplit(spec.Name, spec.Role,
                new IdxImageSource(store.ReadImages(spec.ImagesStem), store.ReadLabels(spec.LabelsStem), classNames.Count)))
            .ToList();
        var pretraining = pretrainingSplitNames
            .Select(name => loaded.FirstOrDefault(s => s.Name == name)
                ?? throw new ArgumentException($"Unknown pre-training split '{name}'.", nameof(pretrainingSplitNames)))
            .ToList();
        return new IdxImageDataset(description, classNames, mean, std, loaded, pretraining);
    }

    public string Description { get; }

    /// <summary>Always 1: IDX images are grayscale.</summary>
    public int Channels => 1;

    public IReadOnlyList<float> Mean { get; }
    public IReadOnlyList<float> Std { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public IReadOnlyList<DatasetSplit> Splits { get; }
    public IReadOnlyList<DatasetSplit> PretrainingSplits { get; }
    public (int Width, int Height)? FixedSize { get; }

    /// <summary>Nothing to release: the data are managed arrays.</summary>
    public void Dispose() { }
}
