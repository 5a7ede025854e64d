using System.Runtime.InteropServices;
using Scott.Lab.Abstractions.Data;
using SkiaSharp;

namespace Scott.Lab.Engine.Analysis;

/// <summary>An RGB picture: <see cref="Rgb"/> is height × width × 3 bytes, row-major.</summary>
public sealed record RgbPixels(byte[] Rgb, int Width, int Height)
{
    /// <summary>A width × height picture of one colour.</summary>
    public static RgbPixels Filled(int width, int height, byte value)
    {
        var rgb = new byte[(long)width * height * 3];
        Array.Fill(rgb, value);
        return new RgbPixels(rgb, width, height);
    }
}

/// <summary>
/// Image files in and out of the maps (SkiaSharp, which TorchSharp already brings): decode an uploaded or given file
/// into a dataset's channels, encode RGB pixels as PNG, resize for thumbnails, lay maps out on a contact sheet.
/// SkiaSharp's native library comes with the datasets plugin (see PluginCatalog): load the plugin catalog first.
/// </summary>
public static class MapImaging
{
    /// <summary>The largest side an input image may have by default (a decoded 8k × 8k RGBA bitmap is already 256 MB).</summary>
    public const int MaxInputSide = 8192;

    /// <summary>The default limits of an input image: <see cref="MaxInputSide"/> pixels a side, 64 Mpx.</summary>
    public static ImageLimits DefaultLimits { get; } = new(MaxInputSide, ImageLimits.DefaultMaxMegapixels);

    /// <summary>
    /// Decodes an encoded image (JPEG, PNG, GIF, BMP, WebP) into <paramref name="channels"/> channels (1: ITU-R 601
    /// luma, 3: RGB). The size its header declares is checked against <paramref name="limits"/> (by default
    /// <see cref="DefaultLimits"/>) before any pixel memory is allocated. Throws a <see cref="DatasetException"/>
    /// naming <paramref name="what"/> (one line) when it cannot.
    /// </summary>
    public static ImageSample Decode(byte[] bytes, int channels, string what, ImageLimits? limits = null)
    {
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "1 or 3 channels");
        limits ??= DefaultLimits;
        using var stream = new SKMemoryStream(bytes);
        using var codec = SKCodec.Create(stream)
            ?? throw new DatasetException($"cannot read image {what}: not a decodable image (JPEG, PNG, GIF, BMP or WebP).");
        if (limits.Problem(codec.Info.Width, codec.Info.Height) is { } tooLarge)
            throw new DatasetException($"cannot read image {what}: {tooLarge}; downscale it first.");
        var info = codec.Info.WithColorType(SKColorType.Rgba8888).WithAlphaType(SKAlphaType.Unpremul);
        using var bitmap = SKBitmap.Decode(codec, info)
            ?? throw new DatasetException($"cannot read image {what}: decoding failed.");
        int w = bitmap.Width, h = bitmap.Height;
        long rowBytes = bitmap.RowBytes;
        var rgba = bitmap.GetPixelSpan();
        var pixels = new byte[(long)w * h * channels];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int s = (int)(y * rowBytes + x * 4L); // an index into a span: within int by construction
                long o = ((long)y * w + x) * channels;
                if (channels == 1)
                    pixels[o] = (byte)Math.Round(0.299 * rgba[s] + 0.587 * rgba[s + 1] + 0.114 * rgba[s + 2]);
                else
                    for (int c = 0; c < 3; c++) pixels[o + c] = rgba[s + c];
            }
        return new ImageSample(pixels, w, h, channels, -1);
    }

    /// <summary>Encodes RGB pixels as an opaque PNG.</summary>
    public static byte[] EncodePng(RgbPixels picture)
    {
        using var bitmap = ToBitmap(picture);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new IOException($"could not encode a {picture.Width}x{picture.Height} picture as PNG");
        return data.ToArray();
    }

    /// <summary>Resizes with SkiaSharp's high-quality filter (cubic when enlarging, mipmaps when shrinking).</summary>
    public static RgbPixels Resize(RgbPixels picture, int width, int height)
    {
        if (picture.Width == width && picture.Height == height) return picture;
        using var source = ToBitmap(picture);
        using var resized = source.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque), SKFilterQuality.High)
            ?? throw new IOException($"could not resize a {picture.Width}x{picture.Height} picture to {width}x{height}");
        return FromBitmap(resized);
    }

    /// <summary>Rows × columns of equal-size pictures separated (and framed) by white gaps of <paramref name="gap"/> px.</summary>
    public static RgbPixels ContactSheet(IReadOnlyList<IReadOnlyList<RgbPixels>> rows, int gap = 2)
    {
        if (rows.Count == 0 || rows[0].Count == 0) throw new ArgumentException("A contact sheet needs at least one picture.", nameof(rows));
        int cellW = rows[0][0].Width, cellH = rows[0][0].Height, columns = rows.Max(r => r.Count);
        int width = columns * cellW + (columns + 1) * gap, height = rows.Count * cellH + (rows.Count + 1) * gap;
        var sheet = RgbPixels.Filled(width, height, 255);
        for (int r = 0; r < rows.Count; r++)
            for (int c = 0; c < rows[r].Count; c++)
            {
                var cell = rows[r][c];
                if (cell.Width != cellW || cell.Height != cellH)
                    throw new ArgumentException($"Contact sheet cells must all be {cellW}x{cellH}; row {r} column {c} is {cell.Width}x{cell.Height}.", nameof(rows));
                int top = gap + r * (cellH + gap), left = gap + c * (cellW + gap);
                for (int y = 0; y < cellH; y++)
                    Buffer.BlockCopy(cell.Rgb, y * cellW * 3, sheet.Rgb, ((top + y) * width + left) * 3, cellW * 3);
            }
        return sheet;
    }

    private static SKBitmap ToBitmap(RgbPixels picture)
    {
        int width = picture.Width, height = picture.Height;
        var rgba = new byte[(long)width * height * 4];
        for (int p = 0, q = 0; q < rgba.Length; p += 3, q += 4)
        {
            rgba[q] = picture.Rgb[p];
            rgba[q + 1] = picture.Rgb[p + 1];
            rgba[q + 2] = picture.Rgb[p + 2];
            rgba[q + 3] = 255;
        }
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }

    private static RgbPixels FromBitmap(SKBitmap bitmap)
    {
        int width = bitmap.Width, height = bitmap.Height, rowBytes = bitmap.RowBytes;
        var rgba = bitmap.GetPixelSpan();
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int s = y * rowBytes + x * 4, o = (y * width + x) * 3;
                rgb[o] = rgba[s];
                rgb[o + 1] = rgba[s + 1];
                rgb[o + 2] = rgba[s + 2];
            }
        return new RgbPixels(rgb, width, height);
    }
}
