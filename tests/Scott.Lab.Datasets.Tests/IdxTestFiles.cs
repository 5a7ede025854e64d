using System.Buffers.Binary;
using System.IO.Compression;

namespace Scott.Lab.Datasets.Tests;

/// <summary>Writes small IDX files (gzipped or plain) for tests.</summary>
internal static class IdxTestFiles
{
    public static byte[] ImagesBytes(int count, int height, int width, ReadOnlySpan<byte> pixels)
    {
        var bytes = new byte[16 + pixels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(0), 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), height);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), width);
        pixels.CopyTo(bytes.AsSpan(16));
        return bytes;
    }

    public static byte[] LabelsBytes(int count, ReadOnlySpan<byte> labels)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(0), 0x00000801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        labels.CopyTo(bytes.AsSpan(8));
        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>Writes <paramref name="data"/> to <paramref name="path"/>, gzipped when the name ends in .gz.</summary>
    public static string Write(string path, byte[] data)
    {
        File.WriteAllBytes(path, path.EndsWith(".gz", StringComparison.Ordinal) ? Gzip(data) : data);
        return path;
    }

    /// <summary>Pixels whose every byte differs from its neighbours: image i, pixel p → (i·31 + p·7) mod 256.</summary>
    public static byte[] Pattern(int count, int pixelsPerImage)
    {
        var pixels = new byte[count * pixelsPerImage];
        for (int i = 0; i < count; i++)
            for (int p = 0; p < pixelsPerImage; p++)
                pixels[i * pixelsPerImage + p] = (byte)((i * 31 + p * 7) % 256);
        return pixels;
    }

    /// <summary>
    /// A Fashion-MNIST-shaped folder with 28×28 images: <paramref name="trainCount"/> train and
    /// <paramref name="testCount"/> test images, labels i mod 10; each file gzipped unless named in <paramref name="plain"/>.
    /// </summary>
    public static void WriteFashionMnistFolder(string root, int trainCount, int testCount, params string[] plain)
    {
        foreach (var (prefix, count) in new[] { ("train", trainCount), ("t10k", testCount) })
        {
            var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
            var images = $"{prefix}-images-idx3-ubyte";
            var labelsStem = $"{prefix}-labels-idx1-ubyte";
            Write(Path.Combine(root, images + (plain.Contains(images) ? "" : ".gz")), ImagesBytes(count, 28, 28, Pattern(count, 784)));
            Write(Path.Combine(root, labelsStem + (plain.Contains(labelsStem) ? "" : ".gz")), LabelsBytes(count, labels));
        }
    }
}

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "scott-lab-datasets-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
