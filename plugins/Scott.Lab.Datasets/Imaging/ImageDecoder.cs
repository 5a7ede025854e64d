using System.Runtime.InteropServices;
using Scott.Lab.Abstractions.Data;
using SkiaSharp;

namespace Scott.Lab.Datasets.Imaging;

/// <summary>A decoded image: RGB pixels in HWC byte order, row-major.</summary>
public sealed record DecodedImage(byte[] Rgb, int Width, int Height);

/// <summary>
/// Decodes image files (JPEG, PNG, GIF, BMP, WebP: whatever SkiaSharp's codecs read) to 8-bit RGB, and checks files
/// cheaply when a dataset is opened. Every image comes out as RGB in display orientation:
/// <list type="bullet">
/// <item>grayscale, palette, 16-bit and CMYK images are converted by Skia's codecs (no colour management: pixels are
/// taken as sRGB, as PIL does);</item>
/// <item>alpha is dropped (the stored colour is kept, as PIL's <c>convert("RGB")</c> does, which the reference PyTorch
/// pipelines use);</item>
/// <item>the EXIF orientation of JPEGs is applied, so a photo taken sideways is delivered upright.</item>
/// </list>
/// Before any pixel memory is allocated, the size the header declares is checked against the
/// <see cref="ImageLimits"/> (default 16384 pixels a side, 64 Mpx): a larger image is unreadable, and the reason
/// names its size. A few hundred bytes of PNG can declare 60000×60000 pixels.
/// <para>
/// With a decode size S &gt; 0, images whose short side exceeds S come out with short side S (aspect ratio kept).
/// A JPEG or WebP is first shrunk while it is decoded (libjpeg's 1/8 … 8/8 scales, choosing the smallest that keeps
/// the short side ≥ S), so a 4000-pixel photo never exists at full size. Where the result is still at least twice
/// S (a JPEG over 16 S, any BMP over 2 S) and Skia can decode the format row by row (JPEG, BMP), the rows are
/// averaged over k×k blocks (k = short side ÷ S, rounded down) as they arrive, so only one row is held at full
/// width and memory is bounded by S, not by the image. Then a high-quality resize gives the exact size. Skia decodes
/// PNG and GIF only whole: they are decoded at full size, bounded by the limits (64 Mpx is 256 MB as RGBA).
/// Smaller images are never enlarged. Every method is safe to call from any number of threads.
/// </para>
/// </summary>
public static class ImageDecoder
{
    /// <summary>Bytes read from the end of a JPEG/PNG to look for its end marker when a dataset is opened.</summary>
    private const int TailBytes = 64;

    /// <summary>Appended to the reason an image is over the limits: the dataset options that set them.</summary>
    public const string LimitHint = "; downscale it, or raise dataset.options.max_image_side / max_image_megapixels";

    /// <summary>
    /// Reads and decodes <paramref name="path"/>; a file that cannot be read (or is over <paramref name="limits"/>,
    /// by default <see cref="ImageLimits.Default"/>) is a DatasetException naming it and why.
    /// </summary>
    public static DecodedImage Decode(string path, int decodeSize, ImageLimits? limits = null)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"Cannot read image {path}: {Reason(e)}.", e);
        }
        return Decode(bytes, path, decodeSize, limits);
    }

    /// <summary>Decodes an encoded image held in memory; <paramref name="name"/> (a path) is used in messages.</summary>
    public static DecodedImage Decode(ReadOnlySpan<byte> encoded, string name, int decodeSize, ImageLimits? limits = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(decodeSize);
        var (image, problem) = TryDecode(encoded, decodeSize, limits ?? ImageLimits.Default, shrinkOnly: false);
        return image ?? throw new DatasetException($"Cannot read image {name}: {problem}.");
    }

    /// <summary>
    /// The size the codec itself decodes <paramref name="encoded"/> at for <paramref name="decodeSize"/>, before the
    /// final resize: smaller than the image only where the format can shrink while decoding (JPEG, WebP).
    /// For diagnostics and tests.
    /// </summary>
    public static (int Width, int Height) CodecDecodeSize(ReadOnlySpan<byte> encoded, int decodeSize)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(new SKMemoryStream(data), out var result)
            ?? throw new ArgumentException($"Not a readable image: {HeaderProblem(encoded, result)}.", nameof(encoded));
        var size = DecodeDimensions(codec, decodeSize);
        return (size.Width, size.Height);
    }

    /// <summary>
    /// The quick check made when a dataset is opened: null when the file looks readable, else the reason it is not
    /// ("empty file (0 bytes)", "truncated: ...", "the image is 60000×60000 pixels ..., over the limit ...").
    /// It reads the header with SKCodec (a few kilobytes), checks the declared size against <paramref name="limits"/>
    /// (by default <see cref="ImageLimits.Default"/>) and, for JPEG and PNG, reads the last bytes: a file without
    /// its end marker (JPEG EOI, PNG IEND) is decoded in full (at the smallest scale, row by row where the format
    /// allows) to tell a truncated file from one that merely lacks the marker. Damage inside the image data of an
    /// otherwise well-formed file is found only when the image is read.
    /// </summary>
    public static string? Check(string path, ImageLimits? limits = null)
    {
        limits ??= ImageLimits.Default;
        try
        {
            long length;
            bool hasEnd;
            SKEncodedImageFormat format;
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 16384))
            {
                length = file.Length;
                if (length == 0) return "empty file (0 bytes)";
                var tail = new byte[Math.Min(length, TailBytes)];
                RandomAccess.Read(file.SafeFileHandle, tail, length - tail.Length);
                var head = new byte[Math.Min(length, 12)];
                RandomAccess.Read(file.SafeFileHandle, head, 0);

                // The codec owns the stream wrapper it is given; the FileStream stays ours (disposed above it).
                using var codec = SKCodec.Create(new NonClosingStream(file), out var result);
                if (codec is null) return HeaderProblem(head, result);
                var info = codec.Info;
                if (SizeProblem(info, limits) is { } sizeProblem) return sizeProblem;
                format = codec.EncodedFormat;
                hasEnd = format switch
                {
                    SKEncodedImageFormat.Jpeg => tail.AsSpan().IndexOf([(byte)0xFF, (byte)0xD9]) >= 0,
                    SKEncodedImageFormat.Png => tail.AsSpan().IndexOf("IEND"u8) >= 0,
                    _ => true,
                };
            }
            if (hasEnd) return null;
            // No end marker: decode it all (cheaply, at the smallest scale) to find whether the data are complete.
            var (_, problem) = TryDecode(File.ReadAllBytes(path), decodeSize: 1, limits, shrinkOnly: true);
            return problem;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Reason(e);
        }
    }

    private static string Reason(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "file not found",
        UnauthorizedAccessException => $"permission denied ({e.Message})",
        _ => $"cannot be read ({e.Message})",
    };

    /// <summary>
    /// Decodes to RGB (see the class remarks); returns the image, or null and the reason. With
    /// <paramref name="shrinkOnly"/>, neither the final resize nor orientation is done: the check just needs to know
    /// the data decode.
    /// </summary>
    private static (DecodedImage? Image, string? Problem) TryDecode(ReadOnlySpan<byte> encoded, int decodeSize, ImageLimits limits, bool shrinkOnly)
    {
        if (encoded.Length == 0) return (null, "empty file (0 bytes)");
        using var data = SKData.CreateCopy(encoded);
        // The codec takes ownership of the stream (it is freed with the codec, or at once when creation fails).
        using var codec = SKCodec.Create(new SKMemoryStream(data), out var created);
        if (codec is null) return (null, HeaderProblem(encoded, created));

        // The header's size is checked before any pixel memory exists.
        var full = codec.Info;
        if (SizeProblem(full, limits) is { } sizeProblem) return (null, sizeProblem);
        var size = DecodeDimensions(codec, decodeSize);
        int factor = BlockFactor(size, decodeSize);
        var (pixels, problem) = (factor > 1 ? DecodeAveraged(codec, size, factor) : null) ?? DecodeWhole(codec, size);
        if (pixels is null) return (null, problem);
        if (shrinkOnly) return (new DecodedImage([], pixels.Width, pixels.Height), null);

        var (rgba, width, height) = (pixels.Rgba, pixels.Width, pixels.Height);
        // Alpha is dropped: make every pixel opaque so that a resize mixes stored colours, not colours × alpha.
        for (long i = 3; i < rgba.LongLength; i += 4) rgba[i] = 255;
        if (decodeSize > 0 && Math.Min(full.Width, full.Height) > decodeSize)
        {
            // The target keeps the original aspect ratio (the codec's scaled size and the blocks are rounded).
            var (targetWidth, targetHeight) = ShortSideTo(full.Width, full.Height, decodeSize);
            if ((width, height) != (targetWidth, targetHeight))
            {
                rgba = Resize(rgba, width, height, targetWidth, targetHeight);
                (width, height) = (targetWidth, targetHeight);
            }
        }

        var rgb = new byte[(long)width * height * 3];
        for (long p = 0, q = 0; p < rgba.LongLength; p += 4, q += 3)
        {
            rgb[q] = rgba[p];
            rgb[q + 1] = rgba[p + 1];
            rgb[q + 2] = rgba[p + 2];
        }
        var (oriented, w, h) = ExifOrientation.Apply(rgb, width, height, codec.EncodedOrigin);
        return (new DecodedImage(oriented, w, h), null);
    }

    /// <summary>Why the size a header declares cannot be decoded (none, or over the limits), or null.</summary>
    private static string? SizeProblem(SKImageInfo info, ImageLimits limits) =>
        info.Width <= 0 || info.Height <= 0 ? $"the header declares a {info.Width}×{info.Height} image"
        : limits.Problem(info.Width, info.Height) is { } tooLarge ? tooLarge + LimitHint
        : null;

    /// <summary>RGBA pixels (8 bits, unpremultiplied) as a decode step produced them.</summary>
    private sealed record RgbaImage(byte[] Rgba, int Width, int Height);

    /// <summary>
    /// k for the k×k block averaging that follows the codec's own scaling: 1 (none) unless the decoded short side is
    /// at least twice <paramref name="decodeSize"/>; then the largest k that keeps the short side ≥ decodeSize.
    /// </summary>
    private static int BlockFactor(SKSizeI size, int decodeSize)
    {
        int shortSide = Math.Min(size.Width, size.Height);
        return decodeSize > 0 && shortSide / 2 >= decodeSize ? shortSide / decodeSize : 1;
    }

    /// <summary>Decodes all of <paramref name="size"/> at once (memory: its RGBA pixels, bounded by the limits).</summary>
    private static (RgbaImage? Pixels, string? Problem) DecodeWhole(SKCodec codec, SKSizeI size)
    {
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[(long)size.Width * size.Height * 4];
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        SKCodecResult result;
        try
        {
            result = codec.GetPixels(info, handle.AddrOfPinnedObject(), info.RowBytes, SKCodecOptions.Default);
        }
        finally
        {
            handle.Free();
        }
        return result == SKCodecResult.Success ? (new RgbaImage(rgba, size.Width, size.Height), null) : (null, DataProblem(result));
    }

    /// <summary>
    /// The sampled decode: decodes <paramref name="size"/> one row at a time and averages each
    /// <paramref name="factor"/>×<paramref name="factor"/> block (the last row and column of blocks may be smaller)
    /// as the rows arrive, so that only one full-width row and one row of block sums exist besides the result.
    /// Null when the codec cannot decode row by row (Skia's PNG and GIF codecs cannot), so the caller decodes whole.
    /// </summary>
    private static (RgbaImage? Pixels, string? Problem)? DecodeAveraged(SKCodec codec, SKSizeI size, int factor)
    {
        int width = size.Width, height = size.Height;
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        if (codec.StartScanlineDecode(info) != SKCodecResult.Success) return null;

        int outWidth = (width + factor - 1) / factor, outHeight = (height + factor - 1) / factor;
        var result = new byte[(long)outWidth * outHeight * 4];
        var row = new byte[(long)width * 4];
        var sums = new long[(long)outWidth * 3];
        int band = -1, bandRows = 0;

        void Flush()
        {
            for (int bx = 0; bx < outWidth; bx++)
            {
                long count = (long)bandRows * (Math.Min(width, (bx + 1) * factor) - bx * factor);
                long to = ((long)band * outWidth + bx) * 4;
                for (int c = 0; c < 3; c++) result[to + c] = (byte)((sums[bx * 3 + c] + count / 2) / count);
                result[to + 3] = 255;
            }
            Array.Clear(sums);
            bandRows = 0;
        }

        var handle = GCHandle.Alloc(row, GCHandleType.Pinned);
        try
        {
            IntPtr address = handle.AddrOfPinnedObject();
            for (int line = 0; line < height; line++)
            {
                if (codec.GetScanlines(address, 1, info.RowBytes) != 1)
                    return (null, DataProblem(SKCodecResult.IncompleteInput));
                int y = codec.ScanlineOrder == SKCodecScanlineOrder.TopDown ? line : codec.GetOutputScanline(line);
                if (y / factor != band)
                {
                    if (bandRows > 0) Flush();
                    band = y / factor;
                }
                for (int x = 0, s = 0; x < width; x++, s += 4)
                {
                    int cell = x / factor * 3;
                    sums[cell] += row[s];
                    sums[cell + 1] += row[s + 1];
                    sums[cell + 2] += row[s + 2];
                }
                bandRows++;
            }
            if (bandRows > 0) Flush();
        }
        finally
        {
            handle.Free();
        }
        return (new RgbaImage(result, outWidth, outHeight), null);
    }

    /// <summary>
    /// The smallest size the codec can decode to directly whose short side is still ≥ <paramref name="decodeSize"/>
    /// (JPEG: libjpeg's k/8 scales; WebP: any size; other formats: only full size).
    /// </summary>
    private static SKSizeI DecodeDimensions(SKCodec codec, int decodeSize)
    {
        var full = codec.Info.Size;
        int shortSide = Math.Min(full.Width, full.Height);
        if (decodeSize <= 0 || shortSide <= decodeSize) return full;
        var best = full;
        var scales = Enumerable.Range(1, 8).Select(k => k / 8f).Append((float)decodeSize / shortSide);
        foreach (float scale in scales)
        {
            var candidate = codec.GetScaledDimensions(scale);
            if (Math.Min(candidate.Width, candidate.Height) >= decodeSize
                && (long)candidate.Width * candidate.Height < (long)best.Width * best.Height)
                best = candidate;
        }
        return best;
    }

    /// <summary>The size with short side <paramref name="shortSide"/> and the aspect ratio of <paramref name="width"/>×<paramref name="height"/>.</summary>
    private static (int Width, int Height) ShortSideTo(int width, int height, int shortSide) =>
        width <= height
            ? (shortSide, Math.Max(1, (int)Math.Round((double)height * shortSide / width)))
            : (Math.Max(1, (int)Math.Round((double)width * shortSide / height)), shortSide);

    /// <summary>High-quality resize of opaque RGBA pixels.</summary>
    private static byte[] Resize(byte[] rgba, int width, int height, int newWidth, int newHeight)
    {
        var source = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var target = new SKImageInfo(newWidth, newHeight, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var resized = new byte[target.BytesSize64];
        var sourceHandle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        var targetHandle = GCHandle.Alloc(resized, GCHandleType.Pinned);
        try
        {
            using var sourcePixmap = new SKPixmap(source, sourceHandle.AddrOfPinnedObject());
            using var targetPixmap = new SKPixmap(target, targetHandle.AddrOfPinnedObject());
            if (!sourcePixmap.ScalePixels(targetPixmap, SKFilterQuality.High))
                throw new InvalidOperationException($"Skia could not resize a {width}×{height} image to {newWidth}×{newHeight}.");
        }
        finally
        {
            sourceHandle.Free();
            targetHandle.Free();
        }
        return resized;
    }

    /// <summary>Why the codec could not be created: a damaged header when the file starts like an image, else not an image.</summary>
    private static string HeaderProblem(ReadOnlySpan<byte> head, SKCodecResult result) =>
        Signature(head) is { } format
            ? $"damaged header: it starts like a {format} file but its header cannot be read (Skia: {result})"
            : "not an image format this decoder reads (JPEG, PNG, GIF, BMP, WebP)";

    /// <summary>The format whose signature <paramref name="head"/> starts with, or null.</summary>
    private static string? Signature(ReadOnlySpan<byte> head) =>
        head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8]) ? "JPEG"
        : head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']) ? "PNG"
        : head.StartsWith("GIF8"u8) ? "GIF"
        : head.StartsWith("BM"u8) ? "BMP"
        : head.StartsWith("RIFF"u8) && head.Length >= 12 && head[8..12].SequenceEqual("WEBP"u8) ? "WebP"
        : null;

    /// <summary>Why decoding the pixels failed.</summary>
    private static string DataProblem(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "truncated: the image data end before the last row",
        SKCodecResult.ErrorInInput => "damaged image data",
        _ => $"cannot be decoded (Skia: {result})",
    };

    /// <summary>Lets Skia read a FileStream that the caller keeps ownership of.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
