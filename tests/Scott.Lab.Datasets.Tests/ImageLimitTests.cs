using System.Buffers.Binary;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Datasets.ImageFolder;
using Scott.Lab.Datasets.Imaging;
using Scott.Lab.Tests.Shared;
using SkiaSharp;
using static Scott.Lab.Datasets.Tests.TestImages;

namespace Scott.Lab.Datasets.Tests;

/// <summary>
/// Decompression bombs and pixel limits (issue 15, items 1 and 3): the size a header declares is checked before any
/// pixel memory exists, and large images are decoded at a size bounded by the decode size, not their own.
/// </summary>
/// <remarks>
/// On the code before this change the bomb below is a SIGSEGV of the test host, not a failed assertion:
/// <c>TryDecode</c> allocated <c>new byte[info.BytesSize]</c>, an <c>int</c> that wraps for 60000×60000×4, and Skia
/// then wrote 14.4 GB of rows into it. The check when a dataset opened read only the header and the IEND marker,
/// so it passed the bomb.
/// </remarks>
public sealed class ImageLimitTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A large JPEG, left half <paramref name="left"/> and right half <paramref name="right"/>, drawn (not set pixel by pixel).</summary>
    private static byte[] LargeJpeg(int width, int height, SKColor left, SKColor right)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            using var paint = new SKPaint { Color = left };
            canvas.DrawRect(0, 0, width / 2, height, paint);
            paint.Color = right;
            canvas.DrawRect(width / 2, 0, width - width / 2, height, paint);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    /// <summary>A 24-bit BMP stored bottom-up (as BMPs are), top half <paramref name="top"/>, bottom half <paramref name="bottom"/>.</summary>
    private static byte[] Bmp(int width, int height, SKColor top, SKColor bottom)
    {
        int rowBytes = (width * 3 + 3) & ~3;
        var bmp = new byte[54 + rowBytes * height];
        "BM"u8.CopyTo(bmp);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), height); // positive: bottom-up rows
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(34), rowBytes * height);
        for (int stored = 0; stored < height; stored++)
        {
            var colour = height - 1 - stored < height / 2 ? top : bottom; // stored row 0 is the bottom row
            for (int x = 0; x < width; x++)
            {
                int at = 54 + stored * rowBytes + x * 3;
                (bmp[at], bmp[at + 1], bmp[at + 2]) = (colour.Blue, colour.Green, colour.Red);
            }
        }
        return bmp;
    }

    private string Save(string relative, byte[] bytes)
    {
        var path = _temp.File(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void The_bomb_is_a_valid_png_header_declaring_60000_squared()
    {
        var bomb = BombPng.Create();
        Assert.True(bomb.Length < 100, $"{bomb.Length} bytes");
        // Skia reads the header (CRCs valid) without decoding anything: the size is what the limit must catch.
        using var codec = SKCodec.Create(new SKMemoryStream(SKData.CreateCopy(bomb)));
        Assert.NotNull(codec);
        Assert.Equal((60000, 60000), (codec.Info.Width, codec.Info.Height));
    }

    [Fact]
    public void Limits_are_checked_in_long_arithmetic()
    {
        var limits = ImageLimits.Default;
        Assert.Equal((16384, 64, 64_000_000L), (limits.MaxSide, limits.MaxMegapixels, limits.MaxPixels));
        Assert.Null(limits.Problem(16384, 3906)); // 63.99 Mpx
        Assert.Null(limits.Problem(8000, 8000)); // exactly 64 Mpx
        Assert.Equal("the image is 10000×8000 pixels (80 Mpx), over the limit of 16384 pixels a side and 64 Mpx", limits.Problem(10000, 8000));
        Assert.Contains("16385×10 pixels (0.16 Mpx)", limits.Problem(16385, 10));
        Assert.Contains("60000×60000 pixels (3600 Mpx)", limits.Problem(60000, 60000));
        // int.MaxValue² and int.MaxValue × 4 overflow int; both are refused, not wrapped into range.
        Assert.Contains("2147483647×2147483647", limits.Problem(int.MaxValue, int.MaxValue));
        Assert.NotNull(new ImageLimits(int.MaxValue, 64).Problem(int.MaxValue, 1));
        Assert.Equal("the header declares a 0×5 image", limits.Problem(0, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageLimits(100, ImageLimits.HighestMaxMegapixels + 1));
    }

    [Fact]
    public void The_bomb_is_an_unreadable_image_named_with_its_size_and_nothing_is_allocated()
    {
        var path = Save("bomb.png", BombPng.Create());

        long before = GC.GetAllocatedBytesForCurrentThread();
        string? reason = ImageDecoder.Check(path);
        var error = Assert.Throws<DatasetException>(() => ImageDecoder.Decode(path, 256));
        var fullSize = Assert.Throws<DatasetException>(() => ImageDecoder.Decode(path, 0));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(
            "the image is 60000×60000 pixels (3600 Mpx), over the limit of 16384 pixels a side and 64 Mpx; "
            + "downscale it, or raise dataset.options.max_image_side / max_image_megapixels", reason);
        Assert.Equal($"Cannot read image {path}: {reason}.", error.Message);
        Assert.Equal(error.Message, fullSize.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated for a refused image");
    }

    [Fact]
    public void The_limits_are_the_dataset_options_and_an_image_over_them_is_left_out_with_its_size()
    {
        Save("cats/ok.png", Png(40, 30, Red));
        Save("cats/wide.png", Png(300, 20, Green));
        var bomb = Save("dogs/bomb.png", BombPng.Create());
        Save("dogs/ok.png", Png(30, 40, Blue));
        var plugin = new ImageFolderPlugin();

        var defaults = new ImageFolderOptions { Root = _temp.Path };
        Assert.Equal((16384, 64), (defaults.MaxImageSide, defaults.MaxImageMegapixels));
        using (var dataset = plugin.Open(defaults))
        {
            var report = (IBadImageReport)dataset;
            var bad = Assert.Single(report.FirstBadImages);
            Assert.Equal(bomb, bad.Path);
            Assert.StartsWith("the image is 60000×60000 pixels (3600 Mpx), over the limit", bad.Reason);
            Assert.Equal(3, dataset.Splits.Single().Images.Count);
            // Every image left in reads.
            for (int i = 0; i < 3; i++) dataset.Splits.Single().Images.Read(i);
        }

        using (var narrow = plugin.Open(new ImageFolderOptions { Root = _temp.Path, MaxImageSide = 200 }))
        {
            var report = (IBadImageReport)narrow;
            Assert.Equal(2, report.BadImageCount);
            Assert.Contains(report.FirstBadImages, b => b.Path.EndsWith("wide.png") && b.Reason.StartsWith("the image is 300×20 pixels (0.01 Mpx), over the limit of 200 pixels a side"));
        }

        var refused = Assert.Throws<DatasetException>(() => plugin.Open(new ImageFolderOptions { Root = _temp.Path, BadImages = "fail" }));
        Assert.Contains($"{bomb} (the image is 60000×60000 pixels", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);

        var badOption = Assert.Throws<DatasetException>(() => plugin.Open(new ImageFolderOptions { Root = _temp.Path, MaxImageMegapixels = 501 }));
        Assert.Equal("dataset.options.max_image_megapixels must lie in 1..500, got 501.", badOption.Message);
    }

    [Fact]
    public void A_jpeg_beyond_the_codecs_one_eighth_is_decoded_row_by_row_into_blocks()
    {
        // 4000×3000 at decode size 64: libjpeg's 1/8 gives 500×375 (750 KB as RGBA, what was decoded before); the
        // rows of that are then averaged over 5×5 blocks as they arrive, so only 100×75 exists besides one row.
        var jpeg = LargeJpeg(4000, 3000, Red, Green);
        Assert.Equal((500, 375), ImageDecoder.CodecDecodeSize(jpeg, 64));

        ImageDecoder.Decode(jpeg, "warm-up.jpg", 64); // JIT and first-use allocations
        long before = GC.GetAllocatedBytesForCurrentThread();
        var image = ImageDecoder.Decode(jpeg, "large.jpg", 64);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal((85, 64), (image.Width, image.Height));
        Assert.True(allocated < 256 << 10, $"{allocated / 1024} KB allocated decoding a 12 Mpx JPEG at decode size 64");
        AssertColor(Red, At(image.Rgb, 85, 10, 32));
        AssertColor(Green, At(image.Rgb, 85, 75, 32));
    }

    [Fact]
    public void Bottom_up_bitmaps_are_averaged_in_their_rows_order_without_a_full_size_decode()
    {
        var bmp = Bmp(600, 400, Red, Blue);
        ImageDecoder.Decode(bmp, "warm-up.bmp", 100);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var image = ImageDecoder.Decode(bmp, "stored-bottom-up.bmp", 100);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal((150, 100), (image.Width, image.Height));
        Assert.True(allocated < 256 << 10, $"{allocated / 1024} KB allocated; a full-size decode is 937 KB");
        AssertColor(Red, At(image.Rgb, 150, 75, 10));
        AssertColor(Blue, At(image.Rgb, 150, 75, 90));
    }

    [Fact]
    public void A_large_jpeg_cut_short_is_found_truncated_by_the_check()
    {
        var jpeg = NoiseJpeg(800, 600);
        var path = Save("cut.jpg", jpeg[..(jpeg.Length / 2)]);

        Assert.Equal("truncated: the image data end before the last row", ImageDecoder.Check(path));
    }
}
