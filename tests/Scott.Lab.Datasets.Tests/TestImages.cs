using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SkiaSharp;

namespace Scott.Lab.Datasets.Tests;

/// <summary>Small encoded images for tests: JPEGs from SkiaSharp, PNGs written by hand (any colour type and depth).</summary>
internal static class TestImages
{
    public static readonly SKColor Red = new(220, 20, 30), Blue = new(20, 40, 220), Green = new(30, 200, 40), Yellow = new(230, 220, 20);

    /// <summary>A JPEG of <paramref name="width"/>×<paramref name="height"/> pixels coloured by <paramref name="color"/>(x, y).</summary>
    public static byte[] Jpeg(int width, int height, Func<int, int, SKColor> color, int quality = 95)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, color(x, y));
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, quality);
        return data.ToArray();
    }

    public static byte[] Jpeg(int width, int height, SKColor color) => Jpeg(width, height, (_, _) => color);

    /// <summary>Left half red, right half blue: shows which way an image was turned.</summary>
    public static byte[] LeftRedRightBlue(int width, int height) => Jpeg(width, height, (x, _) => x < width / 2 ? Red : Blue);

    /// <summary>Random pixels: large entropy-coded data, so that cutting the file loses rows.</summary>
    public static byte[] NoiseJpeg(int width, int height, int seed = 1)
    {
        var random = new Random(seed);
        return Jpeg(width, height, (_, _) => new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
    }

    /// <summary>A one-component (grayscale) JPEG.</summary>
    public static byte[] GrayJpeg(int width, int height, Func<int, int, byte> gray)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        var pixels = new byte[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                pixels[y * width + x] = gray(x, y);
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
        return data.ToArray();
    }

    /// <summary>
    /// A real 16×16 CMYK JPEG (Adobe APP14 marker, as Photoshop writes them), left half red and right half blue
    /// (C,M,Y,K = 0,255,255,0 and 255,255,0,0). Made once with Pillow 9.4:
    /// <c>Image.new("CMYK", (16, 16))</c>, those pixels, <c>save(buf, "JPEG", quality=95)</c>; Pillow reads it back as
    /// (255, 0, 0) and (0, 0, 255). SkiaSharp cannot encode CMYK, hence the bytes.
    /// </summary>
    public static byte[] CmykJpeg() => Convert.FromBase64String(
        "/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwACAQEBAQECAQEBAgICAgIEAwICAgIFBAQDBAYFBgYGBQYGBgcJCAYHCQcGBggLCAkKCgoK"
        + "CgYICwwLCgwJCgoK/8AAFAgAEAAQBEMRAE0RAFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIB"
        + "AwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZH"
        + "SElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV"
        + "1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4EQwBNAFkASwAAPwD9/K/n/r+f+v38r+AOiv7/ACiv7/KK/gDor+AOiv7/ACiv"
        + "/9k=");

    /// <summary>
    /// <paramref name="jpeg"/> with an EXIF APP1 segment right after SOI whose IFD0 holds one entry: Orientation
    /// (tag 0x0112, SHORT) = <paramref name="orientation"/>. Built byte by byte, big-endian TIFF ("MM").
    /// </summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0x00, 0x2A, 0, 0, 0, 8, // byte order, magic 42, IFD0 at offset 8
            0x00, 0x01,                                    // one entry
            0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1,            // Orientation, SHORT, count 1
            (byte)(orientation >> 8), (byte)orientation, 0, 0,
            0, 0, 0, 0,                                    // no next IFD
        ];
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        int length = payload.Length + 2; // the length field counts itself
        byte[] app1 = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload];
        return [.. jpeg[..2], .. app1, .. jpeg[2..]];
    }

    /// <summary>PNG colour types.</summary>
    public const int Gray = 0, Rgb = 2, Palette = 3, GrayAlpha = 4, Rgba = 6;

    /// <summary>
    /// A PNG written by hand: <paramref name="samples"/> are the image's samples row by row (per pixel: the colour
    /// type's channels; 16-bit samples big-endian, as PNG stores them), each row written with filter 0.
    /// </summary>
    public static byte[] Png(int width, int height, int colorType, int bitDepth, byte[] samples, byte[]? palette = null, byte[]? transparency = null)
    {
        int channels = colorType switch { Gray => 1, Rgb => 3, Palette => 1, GrayAlpha => 2, Rgba => 4, _ => throw new ArgumentOutOfRangeException(nameof(colorType)) };
        int rowBytes = width * channels * bitDepth / 8;
        if (samples.Length != rowBytes * height) throw new ArgumentException($"Expected {rowBytes * height} sample bytes, got {samples.Length}.");

        using var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            raw.Write(samples, y * rowBytes, rowBytes);
        }
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(raw.ToArray());

        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)colorType;

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", ihdr);
        if (palette is not null) Chunk(png, "PLTE", palette);
        if (transparency is not null) Chunk(png, "tRNS", transparency);
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(header, 4);
        png.Write(header);
        png.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32([.. header[4..], .. data]));
        png.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>An 8-bit RGB PNG of one colour.</summary>
    public static byte[] Png(int width, int height, SKColor color)
    {
        var samples = new byte[width * height * 3];
        for (int i = 0; i < samples.Length; i += 3) (samples[i], samples[i + 1], samples[i + 2]) = (color.Red, color.Green, color.Blue);
        return Png(width, height, Rgb, 8, samples);
    }

    /// <summary>The RGB of pixel (x, y) of a decoded HWC image.</summary>
    public static (int R, int G, int B) At(byte[] rgb, int width, int x, int y)
    {
        int i = (y * width + x) * 3;
        return (rgb[i], rgb[i + 1], rgb[i + 2]);
    }

    /// <summary>Asserts that a pixel is within <paramref name="tolerance"/> of a colour (JPEG is lossy).</summary>
    public static void AssertColor(SKColor expected, (int R, int G, int B) actual, int tolerance = 24)
    {
        bool close = Math.Abs(expected.Red - actual.R) <= tolerance && Math.Abs(expected.Green - actual.G) <= tolerance
                     && Math.Abs(expected.Blue - actual.B) <= tolerance;
        Assert.True(close, $"expected about ({expected.Red}, {expected.Green}, {expected.Blue}), got {actual}");
    }
}
