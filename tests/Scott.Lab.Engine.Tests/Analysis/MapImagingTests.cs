using Scott.Lab.Abstractions.Data;
using Scott.Lab.Engine.Analysis;

namespace Scott.Lab.Engine.Tests.Analysis;

public class MapImagingTests
{
    private static RgbPixels Gradient(int width, int height) =>
        new(Enumerable.Range(0, width * height * 3).Select(i => (byte)(i % 3 == 0 ? i / 3 % width * 10 : i % 3 == 1 ? i / 3 / width * 10 : 77)).ToArray(), width, height);

    [Fact]
    public void A_png_decodes_back_to_the_same_rgb_and_to_luma_for_one_channel()
    {
        var picture = Gradient(7, 5);
        byte[] png = MapImaging.EncodePng(picture);
        var rgb = MapImaging.Decode(png, 3, "gradient");
        Assert.Equal((7, 5, 3, -1), (rgb.Width, rgb.Height, rgb.Channels, rgb.Label));
        Assert.Equal(picture.Rgb, rgb.Pixels);
        var gray = MapImaging.Decode(png, 1, "gradient");
        int p = (2 * 7 + 3) * 3; // x = 3, y = 2
        Assert.Equal((byte)Math.Round(0.299 * picture.Rgb[p] + 0.587 * picture.Rgb[p + 1] + 0.114 * picture.Rgb[p + 2]), gray.Pixels[2 * 7 + 3]);
    }

    [Fact]
    public void Bytes_that_are_not_an_image_are_a_dataset_error_naming_the_image()
    {
        var error = Assert.Throws<DatasetException>(() => MapImaging.Decode("not an image"u8.ToArray(), 3, "notes.png"));
        Assert.Contains("cannot read image notes.png", error.Message);
    }

    [Fact]
    public void A_decompression_bomb_is_refused_from_its_header_with_its_size()
    {
        // 60000×60000 declared in under 100 bytes: refused before any pixel memory exists (60000 > 8192 a side).
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<DatasetException>(() => MapImaging.Decode(Scott.Lab.Tests.Shared.BombPng.Create(), 3, "'bomb.png'"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Equal("cannot read image 'bomb.png': the image is 60000×60000 pixels (3600 Mpx), over the limit of 8192 pixels a side and 64 Mpx; downscale it first.", error.Message);

        // Within the side limit but over the pixel count (checked in long arithmetic), and limits passed in.
        error = Assert.Throws<DatasetException>(() => MapImaging.Decode(Scott.Lab.Tests.Shared.BombPng.Create(8192, 8000), 3, "x"));
        Assert.Contains("8192×8000 pixels (65 Mpx), over the limit of 8192 pixels a side and 64 Mpx", error.Message);
        error = Assert.Throws<DatasetException>(() => MapImaging.Decode(MapImaging.EncodePng(Gradient(7, 5)), 3, "x", new ImageLimits(6, 1)));
        Assert.Contains("7×5 pixels", error.Message);
    }

    [Fact]
    public void Resize_gives_the_size_asked_and_keeps_a_uniform_colour()
    {
        var grey = RgbPixels.Filled(10, 10, 128);
        var big = MapImaging.Resize(grey, 33, 21);
        Assert.Equal((33, 21), (big.Width, big.Height));
        Assert.All(big.Rgb, b => Assert.InRange(b, 127, 129));
        Assert.Same(grey, MapImaging.Resize(grey, 10, 10));
    }

    [Fact]
    public void A_contact_sheet_puts_cells_in_rows_and_columns_between_white_gaps()
    {
        var black = RgbPixels.Filled(4, 3, 0);
        var sheet = MapImaging.ContactSheet([[black, black], [black]], gap: 2);
        Assert.Equal((2 * 4 + 3 * 2, 2 * 3 + 3 * 2), (sheet.Width, sheet.Height));
        byte At(int x, int y) => sheet.Rgb[(y * sheet.Width + x) * 3];
        Assert.Equal(255, At(0, 0));
        Assert.Equal(0, At(2, 2));                 // first cell
        Assert.Equal(255, At(6, 2));               // the gap between columns
        Assert.Equal(0, At(2, 7));                 // second row, first column
        Assert.Equal(255, At(8, 7));               // the second row has one cell only
        Assert.Throws<ArgumentException>(() => MapImaging.ContactSheet([[black, RgbPixels.Filled(5, 3, 0)]]));
    }
}

public class LruCacheTests
{
    [Fact]
    public void The_least_recently_used_entry_goes_first_when_the_count_is_exceeded()
    {
        var evicted = new List<string>();
        var cache = new LruCache<int, string>(2, long.MaxValue, _ => 1, evicted.Add);
        cache.Add(1, "a");
        cache.Add(2, "b");
        Assert.True(cache.TryGet(1, out _)); // 1 is now the most recent
        cache.Add(3, "c");
        Assert.Equal(["b"], evicted);
        Assert.False(cache.TryGet(2, out _));
        Assert.True(cache.TryGet(3, out var c));
        Assert.Equal("c", c);
        Assert.Equal((2, 1), (cache.Hits, cache.Misses));
    }

    [Fact]
    public void Entries_are_evicted_until_the_bytes_fit_and_a_value_larger_than_the_budget_is_not_kept()
    {
        var cache = new LruCache<string, byte[]>(100, 10, v => v.Length);
        cache.Add("a", new byte[4]);
        cache.Add("b", new byte[4]);
        cache.Add("c", new byte[4]);
        Assert.Equal((2, 8L), (cache.Count, cache.Bytes));
        Assert.False(cache.TryGet("a", out _));
        Assert.False(cache.Add("huge", new byte[11]));
        Assert.Equal((2, 8L), (cache.Count, cache.Bytes));
        Assert.True(cache.Add("b", new byte[6])); // replacing frees the old size
        Assert.Equal((2, 10L), (cache.Count, cache.Bytes));
        cache.Clear();
        Assert.Equal((0, 0L), (cache.Count, cache.Bytes));
    }
}
