using Scott.Lab.Abstractions.Data;
using Scott.Lab.Datasets.Idx;
using static Scott.Lab.Datasets.Tests.IdxTestFiles;

namespace Scott.Lab.Datasets.Tests;

public sealed class IdxFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(".gz")]
    [InlineData("")]
    public void Images_and_labels_round_trip(string extension)
    {
        var pixels = Pattern(3, 2 * 4);
        var imagesPath = Write(_temp.File("images-idx3-ubyte" + extension), ImagesBytes(3, 2, 4, pixels));
        var labelsPath = Write(_temp.File("labels-idx1-ubyte" + extension), LabelsBytes(3, [2, 0, 1]));

        var images = IdxFile.ReadImages(imagesPath);
        var labels = IdxFile.ReadLabels(labelsPath);

        Assert.Equal((3, 2, 4, 8), (images.Count, images.Height, images.Width, images.PixelsPerImage));
        Assert.Equal(pixels, images.Pixels);
        Assert.Equal(imagesPath, images.Name);
        Assert.Equal(new byte[] { 2, 0, 1 }, labels.Labels);
    }

    [Fact]
    public void Gzip_is_detected_from_the_content_not_the_name()
    {
        var path = _temp.File("images-without-extension");
        File.WriteAllBytes(path, Gzip(ImagesBytes(1, 1, 2, [7, 9])));

        Assert.Equal(new byte[] { 7, 9 }, IdxFile.ReadImages(path).Pixels);
    }

    [Fact]
    public void Reads_from_a_stream()
    {
        using var stream = new MemoryStream(Gzip(LabelsBytes(2, [5, 6])));
        var labels = IdxFile.ReadLabels(stream, "memory");
        Assert.Equal(new byte[] { 5, 6 }, labels.Labels);
        Assert.Equal("memory", labels.Name);
    }

    [Fact]
    public void Truncated_images_name_the_file_and_the_byte_counts()
    {
        // The header promises 5 images of 2×4 (40 bytes); only 3 images (24 bytes) follow.
        var path = Write(_temp.File("train-images-idx3-ubyte.gz"), ImagesBytes(5, 2, 4, Pattern(3, 8)));

        var error = Assert.Throws<DatasetException>(() => IdxFile.ReadImages(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("is truncated: expected 40 pixel bytes, found 24", error.Message);
    }

    [Fact]
    public void Truncated_labels_name_the_file()
    {
        var path = Write(_temp.File("labels-idx1-ubyte"), LabelsBytes(4, [1, 2]));

        var error = Assert.Throws<DatasetException>(() => IdxFile.ReadLabels(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("expected 4 label bytes, found 2", error.Message);
    }

    [Fact]
    public void A_header_cut_short_is_truncated()
    {
        var path = _temp.File("short-header");
        File.WriteAllBytes(path, ImagesBytes(1, 2, 2, [1, 2, 3, 4])[..10]);

        var error = Assert.Throws<DatasetException>(() => IdxFile.ReadImages(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void A_cut_gzip_stream_is_reported_with_the_path()
    {
        var path = _temp.File("cut-images-idx3-ubyte.gz");
        var gz = Gzip(ImagesBytes(50, 8, 8, Pattern(50, 64)));
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);

        var error = Assert.Throws<DatasetException>(() => IdxFile.ReadImages(path));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Wrong_magic_is_rejected()
    {
        // A label file read as images: magic 0x801 where 0x803 is expected.
        var path = Write(_temp.File("labels-idx1-ubyte.gz"), LabelsBytes(2, [0, 1]));

        var error = Assert.Throws<DatasetException>(() => IdxFile.ReadImages(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("magic number is 0x00000801", error.Message);
        Assert.Contains("expected 0x00000803", error.Message);
    }

    [Fact]
    public void Garbage_is_rejected_as_wrong_magic()
    {
        var path = _temp.File("not-idx.txt");
        File.WriteAllText(path, "hello, world, this is not an IDX file");

        var error = Assert.Throws<DatasetException>(() => IdxFile.ReadLabels(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("magic", error.Message);
    }

    [Fact]
    public void Data_after_the_declared_size_is_rejected()
    {
        var path = Write(_temp.File("long-labels-idx1-ubyte"), LabelsBytes(2, [0, 1, 2]));

        var error = Assert.Throws<DatasetException>(() => IdxFile.ReadLabels(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("after the 2 label bytes", error.Message);
    }

    [Fact]
    public void A_missing_file_is_a_dataset_error_naming_it()
    {
        var path = _temp.File("nope-idx3-ubyte.gz");

        var error = Assert.Throws<DatasetException>(() => IdxFile.ReadImages(path));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Image_and_label_counts_must_agree()
    {
        var images = new IdxImages("imgs", 3, 1, 1, [1, 2, 3]);
        var labels = new IdxLabels("labs", [0, 1]);

        var error = Assert.Throws<DatasetException>(() => new IdxImageSource(images, labels));

        Assert.Contains("imgs has 3 images but labs has 2 labels", error.Message);
    }

    [Fact]
    public void Labels_outside_the_classes_are_rejected()
    {
        var images = new IdxImages("imgs", 2, 1, 1, [1, 2]);
        var labels = new IdxLabels("labs", [0, 10]);

        var error = Assert.Throws<DatasetException>(() => new IdxImageSource(images, labels, classCount: 10));

        Assert.Contains("labs has label 10 at index 1", error.Message);
    }

    [Fact]
    public void Source_reads_copies_and_copies_pixels_without_allocating()
    {
        var pixels = Pattern(4, 6);
        var source = new IdxImageSource(new IdxImages("imgs", 4, 2, 3, pixels), new IdxLabels("labs", [3, 1, 4, 1]));

        var sample = source.Read(2);
        Assert.Equal((3, 2, 1, 4), (sample.Width, sample.Height, sample.Channels, sample.Label));
        Assert.Equal(pixels[12..18], sample.Pixels);
        sample.Pixels[0] ^= 0xFF; // a copy: the source is unchanged
        Assert.Equal(pixels[12..18], source.Read(2).Pixels);
        Assert.Equal(1, source.LabelAt(3));

        var batch = new byte[4 * source.PixelsPerImage];
        for (int i = 0; i < 4; i++) source.CopyPixels(i, batch.AsSpan(i * 6)); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int repeat = 0; repeat < 100; repeat++)
            for (int i = 0; i < 4; i++) source.CopyPixels(3 - i, batch.AsSpan(i * 6));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(pixels[18..24], batch[..6]);
        Assert.Equal(pixels[..6], batch[18..]);
        Assert.Throws<ArgumentException>(() => source.CopyPixels(0, new byte[5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Read(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.LabelAt(-1));
    }
}
