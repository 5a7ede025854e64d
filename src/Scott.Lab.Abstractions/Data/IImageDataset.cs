namespace Scott.Lab.Abstractions.Data;

/// <summary>One decoded image: pixels in HWC byte order (row-major), with its label (-1 when unlabelled).</summary>
public readonly record struct ImageSample(byte[] Pixels, int Width, int Height, int Channels, int Label);

/// <summary>What a split is for, as the dataset defines it (probes train on Train, select on Validation, report on Test).</summary>
public enum SplitRole { Train, Validation, Test }

/// <summary>A list of images that can be read by index, from any thread.</summary>
public interface IImageSource
{
    int Count { get; }
    int LabelAt(int index);
    ImageSample Read(int index);
}

/// <summary>A named split of a dataset.</summary>
public sealed record DatasetSplit(string Name, SplitRole Role, IImageSource Images);

/// <summary>An opened dataset: its splits, class names, channels and normalisation statistics.</summary>
public interface IImageDataset : IDisposable
{
    string Description { get; }

    /// <summary>Channels every sample is delivered with (1 = grayscale, 3 = RGB).</summary>
    int Channels { get; }

    /// <summary>Per-channel mean and std of pixel values in [0, 1], used to normalise.</summary>
    IReadOnlyList<float> Mean { get; }
    IReadOnlyList<float> Std { get; }

    IReadOnlyList<string> ClassNames { get; }
    IReadOnlyList<DatasetSplit> Splits { get; }

    /// <summary>The splits used for self-supervised pre-training (labels ignored).</summary>
    IReadOnlyList<DatasetSplit> PretrainingSplits { get; }

    /// <summary>When every image has the same size, that size; lets the host batch without resizing.</summary>
    (int Width, int Height)? FixedSize { get; }
}

/// <summary>A dataset that cannot be used, with a message that names the path and the expected layout.</summary>
public sealed class DatasetException(string message, Exception? inner = null) : Exception(message, inner);
