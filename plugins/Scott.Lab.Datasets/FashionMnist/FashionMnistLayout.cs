using Scott.Lab.Abstractions.Data;
using Scott.Lab.Datasets.Idx;

namespace Scott.Lab.Datasets.FashionMnist;

/// <summary>What both Fashion-MNIST plugins share: file names, splits, class names, statistics and the pre-training choice.</summary>
public static class FashionMnistLayout
{
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>The four file stems, in the order they are listed in messages; each may be <c>stem.gz</c> or <c>stem</c>.</summary>
    public static IReadOnlyList<string> FileStems { get; } = [TrainImages, TrainLabels, TestImages, TestLabels];

    /// <summary>"train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz".</summary>
    public static string ExpectedFiles { get; } = string.Join(", ", FileStems.Select(stem => stem + ".gz"));

    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Mean and std of the 60,000 training images' pixels in [0, 1].</summary>
    public static IReadOnlyList<float> Mean { get; } = [0.2860f];
    public static IReadOnlyList<float> Std { get; } = [0.3530f];

    /// <summary>No validation split: the evaluation carves one from train.</summary>
    public static IReadOnlyList<IdxSplitSpec> Splits { get; } =
    [
        new("train", SplitRole.Train, TrainImages, TrainLabels),
        new("test", SplitRole.Test, TestImages, TestLabels),
    ];

    public const string PretrainOnAll = "all";
    public const string PretrainOnTrain = "train";
    public const string PretrainOnDescription =
        "Images used for self-supervised pre-training, labels ignored: 'all' = train + test (as the paper, which uses every image), 'train' = the train split only.";

    /// <summary>The pre-training splits for a <c>PretrainOn</c> option value.</summary>
    public static IReadOnlyList<string> PretrainingSplitNames(string? pretrainOn) => pretrainOn switch
    {
        PretrainOnAll => ["train", "test"],
        PretrainOnTrain => ["train"],
        _ => throw new DatasetException(
            $"dataset.options.pretrainOn must be \"{PretrainOnAll}\" or \"{PretrainOnTrain}\", got \"{pretrainOn}\"."),
    };

    /// <summary>Width and height of every Fashion-MNIST image.</summary>
    public const int ImageSize = 28;

    /// <summary>Loads both splits from <paramref name="store"/>; fails if the files are not 28×28 images with labels 0..9.</summary>
    public static IdxImageDataset Load(string description, string? pretrainOn, IdxFileStore store)
    {
        var dataset = IdxImageDataset.Load(description, ClassNames, Mean, Std, Splits, PretrainingSplitNames(pretrainOn), store);
        foreach (var split in dataset.Splits)
        {
            var source = (IdxImageSource)split.Images;
            if (source.Width != ImageSize || source.Height != ImageSize)
                throw new DatasetException(
                    $"{source.ImagesName} holds {source.Width}×{source.Height} images; Fashion-MNIST images are {ImageSize}×{ImageSize}.");
        }
        return dataset;
    }
}
