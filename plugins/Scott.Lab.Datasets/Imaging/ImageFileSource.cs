using Scott.Lab.Abstractions.Data;

namespace Scott.Lab.Datasets.Imaging;

/// <summary>An image file with its label (0-based class index, or -1 when unlabelled).</summary>
public readonly record struct LabeledFile(string Path, int Label);

/// <summary>
/// A split read from image files: each <see cref="Read"/> decodes its file afresh to RGB (HWC, 3 channels). Holds
/// only the immutable file list, so any number of threads may read at once.
/// </summary>
public sealed class ImageFileSource : IImageSource
{
    private readonly LabeledFile[] _files;

    public ImageFileSource(IEnumerable<LabeledFile> files, int decodeSize, ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentOutOfRangeException.ThrowIfNegative(decodeSize);
        _files = files.ToArray();
        DecodeSize = decodeSize;
        Limits = limits ?? ImageLimits.Default;
    }

    public int Count => _files.Length;

    /// <summary>Short side the images are delivered at (0 = full size); see <see cref="ImageDecoder"/>.</summary>
    public int DecodeSize { get; }

    /// <summary>The largest image read; a larger one is a DatasetException naming its size.</summary>
    public ImageLimits Limits { get; }

    public IReadOnlyList<LabeledFile> Files => _files;

    public string PathAt(int index) => _files[CheckIndex(index)].Path;

    public int LabelAt(int index) => _files[CheckIndex(index)].Label;

    /// <summary>Decodes image <paramref name="index"/>; a file that cannot be decoded is a DatasetException naming it.</summary>
    public ImageSample Read(int index)
    {
        var file = _files[CheckIndex(index)];
        var image = ImageDecoder.Decode(file.Path, DecodeSize, Limits);
        return new ImageSample(image.Rgb, image.Width, image.Height, 3, file.Label);
    }

    private int CheckIndex(int index)
    {
        if ((uint)index >= (uint)_files.Length)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must lie in 0..{_files.Length - 1}.");
        return index;
    }
}
