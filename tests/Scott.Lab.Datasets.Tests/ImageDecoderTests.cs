using Scott.Lab.Abstractions.Data;
using Scott.Lab.Datasets.Imaging;
using SkiaSharp;
using static Scott.Lab.Datasets.Tests.TestImages;

namespace Scott.Lab.Datasets.Tests;

/// <summary>Decoding odd-but-valid images to RGB, shrinking on decode, and telling bad files apart.</summary>
public sealed class ImageDecoderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Save(string name, byte[] bytes)
    {
        var path = _temp.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Decodes_an_RGB_JPEG_at_full_size()
    {
        var image = ImageDecoder.Decode(Save("rgb.jpg", LeftRedRightBlue(32, 16)), decodeSize: 0);

        Assert.Equal((32, 16, 32 * 16 * 3), (image.Width, image.Height, image.Rgb.Length));
        AssertColor(Red, At(image.Rgb, 32, 4, 8));
        AssertColor(Blue, At(image.Rgb, 32, 28, 8));
    }

    [Fact]
    public void Large_JPEGs_shrink_while_decoding_then_resize_to_the_decode_size()
    {
        var jpeg = Jpeg(800, 600, (x, y) => x < 400 ? Red : Green);

        // libjpeg scales: 4/8 gives 400×300 (short side 300 ≥ 256); 3/8 would give 225 < 256.
        Assert.Equal((400, 300), ImageDecoder.CodecDecodeSize(jpeg, 256));
        Assert.Equal((100, 75), ImageDecoder.CodecDecodeSize(jpeg, 10)); // 1/8 is the smallest scale
        Assert.Equal((800, 600), ImageDecoder.CodecDecodeSize(jpeg, 0));

        var image = ImageDecoder.Decode(jpeg, "big.jpg", 256);
        Assert.Equal((341, 256), (image.Width, image.Height));
        AssertColor(Red, At(image.Rgb, 341, 50, 128));
        AssertColor(Green, At(image.Rgb, 341, 300, 128));
    }

    [Fact]
    public void Formats_without_scaled_decoding_are_resized_and_small_images_kept()
    {
        var png = Png(300, 200, Yellow);
        Assert.Equal((300, 200), ImageDecoder.CodecDecodeSize(png, 100));

        var shrunk = ImageDecoder.Decode(png, "big.png", 100);
        Assert.Equal((150, 100), (shrunk.Width, shrunk.Height));
        AssertColor(Yellow, At(shrunk.Rgb, 150, 75, 50), tolerance: 2);

        var small = ImageDecoder.Decode(Jpeg(50, 40, Blue), "small.jpg", 256);
        Assert.Equal((50, 40), (small.Width, small.Height)); // never enlarged
    }

    [Fact]
    public void Grayscale_JPEG_becomes_RGB_with_equal_channels()
    {
        var image = ImageDecoder.Decode(GrayJpeg(16, 16, (x, _) => x < 8 ? (byte)40 : (byte)200), "gray.jpg", 0);

        Assert.Equal(16 * 16 * 3, image.Rgb.Length);
        var (r, g, b) = At(image.Rgb, 16, 2, 2);
        Assert.True(r == g && g == b && Math.Abs(r - 40) < 12, $"got ({r}, {g}, {b})");
        (r, g, b) = At(image.Rgb, 16, 13, 2);
        Assert.True(r == g && g == b && Math.Abs(r - 200) < 12, $"got ({r}, {g}, {b})");
    }

    [Fact]
    public void CMYK_JPEG_becomes_RGB()
    {
        var image = ImageDecoder.Decode(Save("cmyk.jpg", CmykJpeg()), 0);

        Assert.Equal((16, 16), (image.Width, image.Height));
        AssertColor(new SKColor(255, 0, 0), At(image.Rgb, 16, 2, 8), tolerance: 30);
        AssertColor(new SKColor(0, 0, 255), At(image.Rgb, 16, 13, 8), tolerance: 30);
    }

    [Fact]
    public void Sixteen_bit_PNG_becomes_8_bit_RGB()
    {
        // 2×1 RGB, 16 bits per sample (big-endian): (0xFFFF, 0x8080, 0x0000) and (0x0000, 0x4040, 0xFFFF).
        byte[] samples = [0xFF, 0xFF, 0x80, 0x80, 0x00, 0x00, 0x00, 0x00, 0x40, 0x40, 0xFF, 0xFF];
        var image = ImageDecoder.Decode(Png(2, 1, Rgb, 16, samples), "deep.png", 0);

        Assert.Equal((2, 1), (image.Width, image.Height));
        Assert.Equal([255, 128, 0, 0, 64, 255], image.Rgb);
    }

    [Fact]
    public void Palette_PNG_becomes_RGB()
    {
        byte[] palette = [10, 20, 30, 200, 100, 50, 0, 255, 0];
        var image = ImageDecoder.Decode(Png(3, 1, Palette, 8, [2, 0, 1], palette, transparency: [255, 128]), "palette.png", 0);

        Assert.Equal([0, 255, 0, 10, 20, 30, 200, 100, 50], image.Rgb);
    }

    [Fact]
    public void Alpha_is_dropped_keeping_the_stored_colour()
    {
        // Pixels (200,100,50) fully transparent and (10,20,30) half transparent: PIL's convert("RGB") keeps both colours.
        byte[] samples = [200, 100, 50, 0, 10, 20, 30, 128];
        var image = ImageDecoder.Decode(Png(2, 1, Rgba, 8, samples), "alpha.png", 0);

        Assert.Equal([200, 100, 50, 10, 20, 30], image.Rgb);
    }

    [Fact]
    public void Gray_alpha_PNG_becomes_RGB()
    {
        var image = ImageDecoder.Decode(Png(2, 1, GrayAlpha, 8, [90, 255, 170, 0]), "ga.png", 0);

        Assert.Equal([90, 90, 90, 170, 170, 170], image.Rgb);
    }

    [Theory]
    [InlineData(1, 32, 16, "red", "blue", "red", "blue")]   // as stored: left red, right blue
    [InlineData(3, 32, 16, "blue", "red", "blue", "red")]   // 180°
    [InlineData(6, 16, 32, "red", "red", "blue", "blue")]   // 90° clockwise: the left side goes to the top
    [InlineData(8, 16, 32, "blue", "blue", "red", "red")]   // 90° counter-clockwise: the left side goes to the bottom
    [InlineData(2, 32, 16, "blue", "red", "blue", "red")]   // mirrored
    public void EXIF_orientation_is_applied(ushort orientation, int width, int height, string topLeft, string topRight, string bottomLeft, string bottomRight)
    {
        var jpeg = WithExifOrientation(LeftRedRightBlue(32, 16), orientation);

        var image = ImageDecoder.Decode(Save($"exif-{orientation}.jpg", jpeg), 0);

        Assert.Equal((width, height), (image.Width, image.Height));
        SKColor Named(string name) => name == "red" ? Red : Blue;
        AssertColor(Named(topLeft), At(image.Rgb, width, 2, 2));
        AssertColor(Named(topRight), At(image.Rgb, width, width - 3, 2));
        AssertColor(Named(bottomLeft), At(image.Rgb, width, 2, height - 3));
        AssertColor(Named(bottomRight), At(image.Rgb, width, width - 3, height - 3));
    }

    [Fact]
    public void Orientation_is_applied_after_shrinking()
    {
        var jpeg = WithExifOrientation(LeftRedRightBlue(800, 400), 6);

        var image = ImageDecoder.Decode(jpeg, "turned.jpg", 100);

        Assert.Equal((100, 200), (image.Width, image.Height));
        AssertColor(Red, At(image.Rgb, 100, 50, 20));
        AssertColor(Blue, At(image.Rgb, 100, 50, 180));
    }

    [Fact]
    public void All_eight_orientations_move_pixels_exactly()
    {
        // A 3×2 image a b c / d e f, one byte per channel naming the pixel.
        byte[] stored = [.. "abcdef".SelectMany(c => new[] { (byte)c, (byte)c, (byte)c })];
        string Turned(SKEncodedOrigin origin, out int w, out int h)
        {
            var (rgb, width, height) = ExifOrientation.Apply(stored, 3, 2, origin);
            (w, h) = (width, height);
            return string.Join("/", Enumerable.Range(0, height).Select(y =>
                new string(Enumerable.Range(0, width).Select(x => (char)rgb[(y * width + x) * 3]).ToArray())));
        }

        Assert.Equal("abc/def", Turned(SKEncodedOrigin.TopLeft, out _, out _));
        Assert.Equal("cba/fed", Turned(SKEncodedOrigin.TopRight, out _, out _));
        Assert.Equal("fed/cba", Turned(SKEncodedOrigin.BottomRight, out _, out _));
        Assert.Equal("def/abc", Turned(SKEncodedOrigin.BottomLeft, out _, out _));
        Assert.Equal("ad/be/cf", Turned(SKEncodedOrigin.LeftTop, out int w5, out int h5));
        Assert.Equal((2, 3), (w5, h5));
        Assert.Equal("da/eb/fc", Turned(SKEncodedOrigin.RightTop, out _, out _));
        Assert.Equal("fc/eb/da", Turned(SKEncodedOrigin.RightBottom, out _, out _));
        Assert.Equal("cf/be/ad", Turned(SKEncodedOrigin.LeftBottom, out _, out _));
    }

    public static TheoryData<string, string> BadFiles() => new()
    {
        { "empty.jpg", "empty file (0 bytes)" },
        { "truncated.jpg", "truncated" },
        { "truncated.png", "truncated" },
        { "corrupt.jpg", "damaged header: it starts like a JPEG file" },
        { "text.jpg", "not an image format this decoder reads" },
    };

    private string WriteBad(string name) => Save(name, name switch
    {
        "empty.jpg" => [],
        "truncated.jpg" => NoiseJpeg(64, 64)[..1500],
        "truncated.png" => Png(64, 64, Green)[..^40],
        // The header after SOI overwritten: no quantisation tables, no frame header.
        "corrupt.jpg" => [.. NoiseJpeg(64, 64).Select((b, i) => i is >= 2 and < 600 ? (byte)0x00 : b)],
        "text.jpg" => "this is not an image at all, just text with a .jpg name"u8.ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    });

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void The_open_time_check_finds_bad_files_and_reading_them_names_the_path(string name, string reason)
    {
        var path = WriteBad(name);

        Assert.Contains(reason, ImageDecoder.Check(path));
        var error = Assert.Throws<DatasetException>(() => ImageDecoder.Decode(path, 256));
        Assert.StartsWith($"Cannot read image {path}: ", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Good_files_pass_the_check_even_without_an_end_marker()
    {
        Assert.Null(ImageDecoder.Check(Save("ok.jpg", NoiseJpeg(64, 64))));
        Assert.Null(ImageDecoder.Check(Save("ok.png", Png(8, 8, Red))));
        Assert.Null(ImageDecoder.Check(Save("cmyk.jpg", CmykJpeg())));
        // Trailing bytes after EOI (some cameras pad files): no marker in the tail, but the image decodes in full.
        Assert.Null(ImageDecoder.Check(Save("padded.jpg", [.. NoiseJpeg(64, 64), .. new byte[200]])));
        Assert.Equal("file not found", ImageDecoder.Check(_temp.File("missing.jpg")));
    }

    [Fact]
    public void Decoding_is_safe_from_many_threads()
    {
        var paths = Enumerable.Range(0, 8).Select(i => Save($"t{i}.jpg", NoiseJpeg(96, 64, seed: i))).ToArray();
        var expected = paths.Select(p => ImageDecoder.Decode(p, 32).Rgb).ToArray();

        var results = new byte[64][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            i => results[i] = ImageDecoder.Decode(paths[i % paths.Length], 32).Rgb);

        for (int i = 0; i < results.Length; i++) Assert.Equal(expected[i % paths.Length], results[i]);
    }
}
