using System.Buffers.Binary;
using System.IO.Compression;
using Scott.Lab.Abstractions.Data;

namespace Scott.Lab.Datasets.Idx;

/// <summary>
/// Reads IDX files (the MNIST format): a big-endian magic number <c>0x000008nn</c> (unsigned bytes, nn dimensions),
/// nn big-endian int32 sizes, then the data. Files may be gzipped (detected from the gzip header, or from a
/// <c>.gz</c> name when the stream cannot seek) or plain. Every problem is a <see cref="DatasetException"/> that
/// names the file and what was wrong.
/// </summary>
public static class IdxFile
{
    /// <summary>idx3-ubyte: N images of H×W unsigned bytes.</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>idx1-ubyte: N unsigned byte labels.</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads an idx3-ubyte file (gzipped or plain) from <paramref name="path"/>.</summary>
    public static IdxImages ReadImages(string path) => WithFile(path, stream => ReadImages(stream, path));

    /// <summary>Reads an idx1-ubyte file (gzipped or plain) from <paramref name="path"/>.</summary>
    public static IdxLabels ReadLabels(string path) => WithFile(path, stream => ReadLabels(stream, path));

    /// <summary>Reads an idx3-ubyte stream; <paramref name="name"/> (a path or resource name) is used in messages.</summary>
    public static IdxImages ReadImages(Stream stream, string name) => Decoded(stream, name, s =>
    {
        var dims = ReadHeader(s, name, ImagesMagic, "images (idx3-ubyte)");
        int count = dims[0], height = dims[1], width = dims[2];
        if (height == 0 || width == 0)
            throw new DatasetException($"{name} declares {count} images of {height}×{width} pixels; images must be at least 1×1.");
        long total = (long)count * height * width;
        if (total > Array.MaxLength)
            throw new DatasetException($"{name} declares {count} images of {height}×{width} pixels ({total} bytes), more than one array can hold.");
        var pixels = ReadData(s, name, (int)total, "pixel");
        return new IdxImages(name, count, height, width, pixels);
    });

    /// <summary>Reads an idx1-ubyte stream; <paramref name="name"/> (a path or resource name) is used in messages.</summary>
    public static IdxLabels ReadLabels(Stream stream, string name) => Decoded(stream, name, s =>
    {
        var dims = ReadHeader(s, name, LabelsMagic, "labels (idx1-ubyte)");
        return new IdxLabels(name, ReadData(s, name, dims[0], "label"));
    });

    private static T WithFile<T>(string path, Func<Stream, T> read)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DatasetException($"IDX file not found: {path}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"{path} could not be opened: {ex.Message}", ex);
        }
        using (file) return read(file);
    }

    /// <summary>Runs <paramref name="parse"/> on the decompressed stream, turning decoding and I/O errors into DatasetException.</summary>
    private static T Decoded<T>(Stream raw, string name, Func<Stream, T> parse)
    {
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(name);
        try
        {
            if (!IsGzip(raw, name)) return parse(raw);
            using var gzip = new GZipStream(raw, CompressionMode.Decompress, leaveOpen: true);
            return parse(gzip);
        }
        catch (InvalidDataException ex)
        {
            throw new DatasetException($"{name} is not a valid gzip file or is corrupt: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new DatasetException($"{name} could not be read: {ex.Message}", ex);
        }
    }

    private static bool IsGzip(Stream raw, string name)
    {
        if (!raw.CanSeek) return name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        long start = raw.Position;
        int b0 = raw.ReadByte(), b1 = raw.ReadByte();
        raw.Position = start;
        return b0 == 0x1f && b1 == 0x8b;
    }

    private static int[] ReadHeader(Stream s, string name, int expectedMagic, string kind)
    {
        Span<byte> word = stackalloc byte[4];
        int found = s.ReadAtLeast(word, 4, throwOnEndOfStream: false);
        if (found < 4)
            throw new DatasetException($"{name} is truncated: expected a 4-byte IDX magic number, found {found} bytes.");
        int magic = BinaryPrimitives.ReadInt32BigEndian(word);
        if (magic != expectedMagic)
            throw new DatasetException(
                $"{name} is not an IDX {kind} file: its magic number is 0x{magic:X8}{Describe(magic)}, expected 0x{expectedMagic:X8}.");

        var dims = new int[expectedMagic & 0xFF];
        for (int i = 0; i < dims.Length; i++)
        {
            found = s.ReadAtLeast(word, 4, throwOnEndOfStream: false);
            if (found < 4)
                throw new DatasetException($"{name} is truncated: expected a {4 + 4 * dims.Length}-byte header, it ends within dimension size {i + 1}.");
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(word);
            if (dims[i] < 0)
                throw new DatasetException($"{name} has a negative size ({dims[i]}) for dimension {i + 1} in its header.");
        }
        return dims;
    }

    private static string Describe(int magic) =>
        (magic & ~0xFF) == 0x00000800 ? $" (an IDX unsigned-byte file with {magic & 0xFF} dimensions)"
        : (magic >>> 16) == 0x1f8b ? " (a gzip header: the file is compressed but could not be detected as such)"
        : "";

    private static byte[] ReadData(Stream s, string name, int expected, string what)
    {
        var data = GC.AllocateUninitializedArray<byte>(expected);
        int found = s.ReadAtLeast(data, expected, throwOnEndOfStream: false);
        if (found < expected)
            throw new DatasetException($"{name} is truncated: expected {expected} {what} bytes, found {found}.");
        if (s.ReadByte() >= 0)
            throw new DatasetException($"{name} has data after the {expected} {what} bytes its header declares; the header or the file is wrong.");
        return data;
    }
}

/// <summary>The images of an idx3-ubyte file: <see cref="Count"/> images, image i at <c>Pixels[i·H·W .. (i+1)·H·W)</c>, row-major.</summary>
public sealed class IdxImages
{
    public IdxImages(string name, int count, int height, int width, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (pixels.LongLength != (long)count * height * width)
            throw new ArgumentException($"Expected {(long)count * height * width} pixels for {count}×{height}×{width}, got {pixels.LongLength}.", nameof(pixels));
        (Name, Count, Height, Width, Pixels) = (name, count, height, width, pixels);
    }

    /// <summary>Path or resource name the images were read from.</summary>
    public string Name { get; }
    public int Count { get; }
    public int Height { get; }
    public int Width { get; }
    public int PixelsPerImage => Height * Width;

    /// <summary>All pixels, N·H·W bytes. Treat as read-only: sources share it across threads.</summary>
    public byte[] Pixels { get; }
}

/// <summary>The labels of an idx1-ubyte file.</summary>
public sealed class IdxLabels
{
    public IdxLabels(string name, byte[] labels)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(labels);
        (Name, Labels) = (name, labels);
    }

    /// <summary>Path or resource name the labels were read from.</summary>
    public string Name { get; }
    public int Count => Labels.Length;

    /// <summary>One byte per image. Treat as read-only: sources share it across threads.</summary>
    public byte[] Labels { get; }
}
