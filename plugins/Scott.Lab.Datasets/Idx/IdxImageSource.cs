using Scott.Lab.Abstractions.Data;

namespace Scott.Lab.Datasets.Idx;

/// <summary>
/// A split held in memory: one pixel array for every image (N·H·W bytes, grayscale) and one label byte each.
/// Read-only after construction, so any number of threads may read it.
/// </summary>
public sealed class IdxImageSource : IImageSource
{
    private readonly byte[] _pixels;
    private readonly byte[] _labels;

    /// <summary>Pairs images with labels; throws <see cref="DatasetException"/> naming both files when they disagree.</summary>
    /// <param name="classCount">When given, every label must lie in <c>0 .. classCount-1</c>.</param>
    public IdxImageSource(IdxImages images, IdxLabels labels, int? classCount = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Count != labels.Count)
            throw new DatasetException(
                $"{images.Name} has {images.Count} images but {labels.Name} has {labels.Count} labels; they must be the same.");
        if (classCount is int classes)
        {
            int bad = Array.FindIndex(labels.Labels, label => label >= classes);
            if (bad >= 0)
                throw new DatasetException(
                    $"{labels.Name} has label {labels.Labels[bad]} at index {bad}; labels must lie in 0..{classes - 1}.");
        }
        _pixels = images.Pixels;
        _labels = labels.Labels;
        Count = images.Count;
        Width = images.Width;
        Height = images.Height;
        ImagesName = images.Name;
        LabelsName = labels.Name;
    }

    public int Count { get; }
    public int Width { get; }
    public int Height { get; }

    /// <summary>Always 1: IDX images are grayscale.</summary>
    public int Channels => 1;

    /// <summary>Bytes per image (W·H·C), the size <see cref="CopyPixels"/> writes.</summary>
    public int PixelsPerImage => Width * Height;

    /// <summary>Where the images and labels came from.</summary>
    public string ImagesName { get; }
    public string LabelsName { get; }

    public int LabelAt(int index)
    {
        CheckIndex(index);
        return _labels[index];
    }

    /// <summary>A fresh copy of the image's pixels (HWC, C = 1) with its label.</summary>
    public ImageSample Read(int index)
    {
        var pixels = new byte[PixelsPerImage];
        CopyPixels(index, pixels);
        return new ImageSample(pixels, Width, Height, Channels, _labels[index]);
    }

    /// <summary>
    /// Copies image <paramref name="index"/>'s <see cref="PixelsPerImage"/> bytes (HWC, C = 1) into the start of
    /// <paramref name="destination"/> without allocating: the fast path for filling a batch buffer.
    /// </summary>
    public void CopyPixels(int index, Span<byte> destination)
    {
        CheckIndex(index);
        int size = PixelsPerImage;
        if (destination.Length < size)
            throw new ArgumentException($"Destination holds {destination.Length} bytes; an image needs {size}.", nameof(destination));
        _pixels.AsSpan(index * size, size).CopyTo(destination);
    }

    /// <summary>The image's pixels without copying (valid as long as the source lives; do not write through it).</summary>
    public ReadOnlySpan<byte> PixelsOf(int index)
    {
        CheckIndex(index);
        return _pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must lie in 0..{Count - 1}.");
    }
}
