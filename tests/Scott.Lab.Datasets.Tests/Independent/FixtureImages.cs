using SkiaSharp;

namespace Scott.Lab.Datasets.Tests.Independent;

/// <summary>How a fixture image is encoded on disk.</summary>
internal enum FixtureEncoding { ColorJpeg, GrayJpeg, PngNamedJpg, CmykJpeg }

/// <summary>
/// One image a fixture wrote: where, its size (unique within a fixture, so a decoded sample can be traced back to
/// its file), the colour it was filled with, and what the loader should make of it.
/// </summary>
internal sealed record FixtureImage(string RelativePath, int Width, int Height, SKColor Color, FixtureEncoding Encoding,
    int ExpectedLabel, string ExpectedClassName, string Group);

/// <summary>Writes small real images with SkiaSharp, each of a size not used before in the same fixture.</summary>
internal sealed class FixtureImageWriter(string root)
{
    private static readonly SKColor[] Palette =
    [
        new(220, 30, 30), new(30, 180, 40), new(30, 50, 220), new(230, 210, 30),
        new(200, 40, 200), new(30, 200, 200), new(240, 140, 20), new(120, 60, 20),
    ];

    private int _next;

    public string Root { get; } = root;
    public List<FixtureImage> Written { get; } = [];

    /// <summary>Writes the next image; sizes run over 20..40 × 20..40 px without repeating.</summary>
    public FixtureImage Write(string relativePath, int expectedLabel, string expectedClassName, string group,
        FixtureEncoding encoding = FixtureEncoding.ColorJpeg)
    {
        var i = _next++;
        if (i >= 21 * 21) throw new InvalidOperationException("out of unique sizes");
        int width = 20 + i % 21, height = 20 + i / 21 % 21;
        var color = encoding == FixtureEncoding.GrayJpeg ? new SKColor(128, 128, 128) : Palette[i % Palette.Length];
        var bytes = encoding switch
        {
            FixtureEncoding.ColorJpeg => SolidJpeg(width, height, color),
            FixtureEncoding.GrayJpeg => GrayJpeg(width, height, 128),
            FixtureEncoding.PngNamedJpg => OpaquePng(width, height, color),
            _ => throw new ArgumentOutOfRangeException(nameof(encoding)),
        };
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        var image = new FixtureImage(relativePath, width, height, color, encoding, expectedLabel, expectedClassName, group);
        Written.Add(image);
        return image;
    }

    /// <summary>
    /// Writes the one CMYK JPEG (Adobe APP14 marker, 4 components), as ILSVRC-2012 train holds a few of. It is
    /// 41×27, outside the 20..40 sizes of <see cref="Write"/>; solid RGB (200, 40, 40) converted to CMYK (55, 215, 215, 0)
    /// by Pillow 9.4 and saved as a JPEG of quality 95 (SkiaSharp cannot encode CMYK).
    /// </summary>
    public FixtureImage WriteCmyk(string relativePath, int expectedLabel, string expectedClassName, string group)
    {
        var bytes = Convert.FromBase64String(CmykJpegBase64);
        if (JpegComponents(bytes) != 4) throw new InvalidOperationException("not a 4-component JPEG");
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        var image = new FixtureImage(relativePath, 41, 27, new SKColor(200, 40, 40), FixtureEncoding.CmykJpeg, expectedLabel, expectedClassName, group);
        Written.Add(image);
        return image;
    }

    private const string CmykJpegBase64 =
        "/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwACAQEBAQECAQEBAgICAgIEAwICAgIFBAQDBAYFBgYGBQYGBgcJCAYHCQcGBggLCAkKCgoK"
        + "CgYICwwLCgwJCgoK/8AAFAgAGwApBEMRAE0RAFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIB"
        + "AwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZH"
        + "SElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV"
        + "1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4EQwBNAFkASwAAPwD9IK/J+vyfr9/KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK"
        + "KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK/9k=";

    public static byte[] SolidJpeg(int width, int height, SKColor color)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(color);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
        return data.ToArray();
    }

    /// <summary>A single-component (grayscale) baseline JPEG, like a few Pets and ImageNet images.</summary>
    public static byte[] GrayJpeg(int width, int height, byte value)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        bitmap.Erase(new SKColor(value, value, value));
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
        var bytes = data.ToArray();
        if (JpegComponents(bytes) != 1) throw new InvalidOperationException("SkiaSharp did not write a 1-component JPEG");
        return bytes;
    }

    /// <summary>PNG bytes (RGBA, fully opaque) meant to be saved under a .jpg/.JPEG name, as a few archive files are.</summary>
    public static byte[] OpaquePng(int width, int height, SKColor color)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(color);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The component count of a JPEG's start-of-frame segment (1 = grayscale, 3 = YCbCr, 4 = CMYK).</summary>
    public static int JpegComponents(byte[] jpeg)
    {
        var p = 2; // after SOI
        while (p + 4 < jpeg.Length)
        {
            if (jpeg[p] != 0xFF) throw new InvalidDataException("not at a marker");
            var marker = jpeg[p + 1];
            var length = jpeg[p + 2] << 8 | jpeg[p + 3];
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                return jpeg[p + 9];
            p += 2 + length;
        }
        throw new InvalidDataException("no SOF marker");
    }
}

/// <summary>A temporary folder deleted when the test ends.</summary>
internal sealed class TempRoot : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "scott-independent-" + Guid.NewGuid().ToString("N"));

    public TempRoot() => Directory.CreateDirectory(Path);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
