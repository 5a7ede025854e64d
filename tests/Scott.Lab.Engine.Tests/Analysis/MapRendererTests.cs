using Scott.Lab.Abstractions.Data;
using Scott.Lab.Engine.Analysis;
using Scott.Lab.Engine.Models;
using Scott.Lab.Engine.Tests.Models;
using Scott.Lab.Tests.Shared;
using SkiaSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Tests.Analysis;

/// <summary>
/// The shared map renderer on a tiny random ViT (16 px RGB, 4×4 patches of 4 px, 2 heads) and a dataset of bright
/// squares on a dark background; checkpoints are empty folders (the loader below builds the model itself).
/// </summary>
public sealed class MapRendererTests : IDisposable
{
    private const int ImageSize = 16, Heads = 2, Grid = 4;
    private readonly string _run = Path.Combine(Path.GetTempPath(), "scott-lab-maps-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<int> _loaderThreads = [];

    public MapRendererTests()
    {
        AddCheckpoint(1);
        AddCheckpoint(2);
    }

    public void Dispose()
    {
        try { Directory.Delete(_run, recursive: true); } catch (IOException) { }
    }

    private void AddCheckpoint(int step)
    {
        string folder = Path.Combine(_run, "checkpoints", $"step-{step:D8}");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "state.json"), "{}");
    }

    private MapModel Load(string checkpoint)
    {
        lock (_loaderThreads) _loaderThreads.Add(Environment.CurrentManagedThreadId);
        manual_seed(5);
        var tokenizer = new TinyPatchTokenizer(ImageSize, 3, ImageSize / Grid, 32);
        var vit = new VisionTransformer(tokenizer, VisionTransformerTests.Options(width: 32, heads: Heads));
        // A different model per checkpoint, as after more training.
        VisionTransformerTests.Randomize(vit, 23 + checkpoint.Length + checkpoint[^1]);
        return new MapModel(vit, new SquaresDataset(), ImageSize, Heads, CPU, checkpoint);
    }

    private MapRenderer Renderer(MapRendererOptions? options = null, MapImageResolver? images = null) =>
        new((_, checkpoint) => Load(checkpoint), images, options);

    private MapQuery Query(MapView view, string image, IReadOnlyList<string>? set = null, MapSettings? settings = null, string? checkpoint = null) =>
        new(_run, checkpoint, view, image, set, settings ?? new MapSettings());

    private static SKBitmap Decode(byte[] png) => SKBitmap.Decode(png) ?? throw new Xunit.Sdk.XunitException("not a decodable PNG");

    private static int Colours(SKBitmap bitmap) =>
        Enumerable.Range(0, bitmap.Height).SelectMany(y => Enumerable.Range(0, bitmap.Width).Select(x => bitmap.GetPixel(x, y))).Distinct().Count();

    [Theory]
    [InlineData(MapView.Original, 40)]
    [InlineData(MapView.Pca, 40)]
    [InlineData(MapView.Attention, 40)]
    [InlineData(MapView.Attention, null)]
    public async Task Maps_are_pngs_of_the_requested_size_with_more_than_one_colour(MapView view, int? size)
    {
        using var renderer = Renderer();
        var map = await renderer.RenderAsync(Query(view, "test-1", ["test-0", "test-2", "test-3"], new MapSettings(Threshold: 0.3, Size: size)));
        using var bitmap = Decode(map.Png);
        int expected = size ?? ImageSize;
        Assert.Equal((expected, expected), (bitmap.Width, bitmap.Height));
        Assert.Equal((expected, expected, Grid, Grid), (map.Width, map.Height, map.GridHeight, map.GridWidth));
        Assert.Equal("step-00000002", map.Checkpoint); // the latest by default
        Assert.True(Colours(bitmap) > 1, $"{view}: a uniform picture");
    }

    [Fact]
    public async Task The_original_is_the_preprocessed_image_a_bright_square_on_a_dark_background()
    {
        using var renderer = Renderer();
        var map = await renderer.RenderPixelsAsync(Query(MapView.Original, "test-0"));
        var (x0, y0) = SquaresDataset.Corner(0);
        byte Red(int x, int y) => map.Pixels.Rgb[(y * ImageSize + x) * 3];
        Assert.Equal(230, Red(x0 + 2, y0 + 2));
        Assert.Equal(20, Red((x0 + 10) % ImageSize, (y0 + 10) % ImageSize));
        Assert.Equal(0, renderer.EncoderRuns); // an original needs no encoder (thumbnails are cheap)
    }

    [Fact]
    public async Task A_repeated_request_is_answered_from_the_png_cache_with_the_same_bytes_and_no_torch_work()
    {
        using var renderer = Renderer();
        var query = Query(MapView.Attention, "test-2", settings: new MapSettings(Head: 1, Size: 32));
        var first = await renderer.RenderAsync(query);
        int runs = renderer.EncoderRuns;
        var second = await renderer.RenderAsync(query with { Settings = query.Settings with { Threshold = 0.9 } }); // unused by attention: same entry
        Assert.Equal(first.Png, second.Png);
        Assert.Same(first.Png, second.Png);
        Assert.Equal(runs, renderer.EncoderRuns);
        Assert.Equal(1, renderer.PngCache.Hits);
        Assert.Equal(1, renderer.ModelLoads);

        var other = await renderer.RenderAsync(query with { Settings = query.Settings with { Head = 0 } });
        Assert.NotEqual(first.Png, other.Png);
        Assert.Equal(runs, renderer.EncoderRuns); // the image's encoder outputs were cached
    }

    [Fact]
    public async Task The_pca_of_a_set_runs_the_encoder_once_and_does_not_depend_on_the_order_of_the_set()
    {
        using var renderer = Renderer();
        string[] set = ["test-0", "test-1", "test-2", "test-3"];
        var settings = new MapSettings(Threshold: 0.3);
        var forward = new List<byte[]>();
        foreach (var image in set) forward.Add((await renderer.RenderAsync(Query(MapView.Pca, image, set, settings))).Png);
        Assert.Equal(1, renderer.EncoderRuns);

        await renderer.ClearAsync();
        string[] reversed = [.. set.Reverse()];
        foreach (var (image, i) in set.Select((s, i) => (s, i)))
            Assert.Equal(forward[i], (await renderer.RenderAsync(Query(MapView.Pca, image, reversed, settings))).Png);
        Assert.Equal(2, renderer.EncoderRuns);

        // Fitted jointly: the same image in another set gets other colours.
        var alone = await renderer.RenderAsync(Query(MapView.Pca, "test-0", ["test-0", "test-4"], settings));
        Assert.NotEqual(forward[0], alone.Png);
    }

    [Fact]
    public async Task All_torch_work_runs_on_one_dedicated_thread_even_for_concurrent_requests()
    {
        using var renderer = Renderer();
        var requests = Enumerable.Range(0, 12).Select(i => Task.Run(() => renderer.RenderAsync(
            Query(i % 3 == 0 ? MapView.Pca : MapView.Attention, $"test-{i % 5}", ["test-0", "test-1", "test-2", "test-3", "test-4"],
                new MapSettings(Threshold: 0.3), checkpoint: $"{1 + i % 2}"))));
        var maps = await Task.WhenAll(requests);
        Assert.All(maps, m => Assert.True(m.Png.Length > 0));
        Assert.Equal(2, _loaderThreads.Count); // one load per checkpoint: the requests waited for each other, not for a second copy
        Assert.Single(_loaderThreads.Distinct());
        Assert.NotEqual(Environment.CurrentManagedThreadId, _loaderThreads[0]);
    }

    [Fact]
    public async Task Loaded_models_are_kept_in_a_least_recently_used_cache_of_two()
    {
        AddCheckpoint(3);
        using var renderer = Renderer();
        int size = 16;
        async Task<int> Loads(string checkpoint)
        {
            // A new size each time, so that the PNG cache never answers for the model.
            await renderer.RenderAsync(Query(MapView.Original, "test-0", settings: new MapSettings(Size: size++), checkpoint: checkpoint));
            return renderer.ModelLoads;
        }
        Assert.Equal(1, await Loads("1"));
        Assert.Equal(2, await Loads("step-00000002"));
        Assert.Equal(2, await Loads("1"));
        Assert.Equal(3, await Loads("3"));   // evicts step 2, the least recently used
        Assert.Equal(3, await Loads("1"));
        Assert.Equal(4, await Loads("2"));
    }

    [Fact]
    public async Task The_png_cache_stays_within_its_byte_budget()
    {
        using var renderer = Renderer(new MapRendererOptions { PngBytes = 4000 });
        for (int size = 20; size < 120; size += 10)
            await renderer.RenderAsync(Query(MapView.Attention, "test-0", settings: new MapSettings(Size: size)));
        var (_, _, count, bytes) = renderer.PngCache;
        Assert.InRange(bytes, 1, 4000);
        Assert.InRange(count, 1, 9);
    }

    [Fact]
    public async Task Disposing_twice_is_harmless_and_a_disposed_renderer_refuses_work()
    {
        // The portal registers one renderer owner under two service types, so the container disposes it twice.
        var renderer = Renderer();
        await renderer.RenderAsync(Query(MapView.Attention, "test-0"));
        renderer.Dispose();
        renderer.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => renderer.RenderAsync(Query(MapView.Pca, "test-1")));
    }

    [Fact]
    public async Task Attention_from_a_token_is_that_tokens_row_and_differs_from_the_attention_received()
    {
        using var renderer = Renderer();
        var received = await renderer.RenderPixelsAsync(Query(MapView.Attention, "test-3"));
        var from = await renderer.RenderPixelsAsync(Query(MapView.Attention, "test-3", settings: new MapSettings(FromToken: 5)));
        var other = await renderer.RenderPixelsAsync(Query(MapView.Attention, "test-3", settings: new MapSettings(FromToken: 6)));
        Assert.NotEqual(received.Pixels.Rgb, from.Pixels.Rgb);
        Assert.NotEqual(from.Pixels.Rgb, other.Pixels.Rgb);
    }

    [Fact]
    public async Task Images_that_are_not_dataset_ids_come_from_the_resolver_and_are_preprocessed_like_eval()
    {
        var upload = new ImageSample(Enumerable.Range(0, 24 * 20 * 3).Select(i => (byte)(i * 7)).ToArray(), 24, 20, 3, -1);
        using var renderer = Renderer(images: (id, channels) => id == "upload-1" && channels == 3 ? upload : null);
        var map = await renderer.RenderAsync(Query(MapView.Pca, "upload-1", ["test-0", "upload-1"], new MapSettings(Threshold: 0.2, Size: 24)));
        using var bitmap = Decode(map.Png);
        Assert.Equal((24, 24), (bitmap.Width, bitmap.Height));
        var error = await Assert.ThrowsAsync<MapException>(() => renderer.RenderAsync(Query(MapView.Pca, "upload-2")));
        Assert.True(error.NotFound);
        Assert.Contains("upload-<hash>", error.Message);
    }

    [Fact]
    public async Task A_set_with_no_foreground_draws_all_background_instead_of_failing()
    {
        var flat = new ImageSample(Enumerable.Repeat((byte)128, ImageSize * ImageSize * 3).ToArray(), ImageSize, ImageSize, 3, -1);
        using var renderer = Renderer(images: (id, _) => id.StartsWith("flat-", StringComparison.Ordinal) ? flat : null);
        // Tokens differ only by their position embedding: one token is the maximum of pc1, none is as close as 0.1 % to it.
        var map = await renderer.RenderPixelsAsync(Query(MapView.Pca, "flat-1", null, new MapSettings(Threshold: 0.999)));
        Assert.All(map.Pixels.Rgb, b => Assert.Equal(0, b));
        Assert.NotNull(map.Pca);
        Assert.InRange(map.Pca.ForegroundTokens, 0, 1);
    }

    [Theory]
    [InlineData("missing-run", null, "test-0", "run folder")]
    [InlineData(null, "7", "test-0", "Available: step-00000001, step-00000002")]
    [InlineData(null, "../../etc", "test-0", "no checkpoint '../../etc'")]
    [InlineData(null, null, "test-99", "test-0 to test-5")]
    [InlineData(null, null, "cat", "no image 'cat'")]
    public async Task Unknown_runs_checkpoints_and_images_are_not_found_with_what_exists(string? run, string? checkpoint, string image, string message)
    {
        using var renderer = Renderer();
        var query = Query(MapView.Attention, image, checkpoint: checkpoint) with { RunDirectory = run is null ? _run : Path.Combine(_run, run) };
        var error = await Assert.ThrowsAsync<MapException>(() => renderer.RenderAsync(query));
        Assert.True(error.NotFound);
        Assert.Contains(message, error.Message);
    }

    public static TheoryData<MapView, MapSettings, string> BadSettings => new()
    {
        { MapView.Pca, new MapSettings(Threshold: 1), "threshold: must be in [0, 1)" },
        { MapView.Pca, new MapSettings(Sign: 0), "sign: must be 1 or -1" },
        { MapView.Attention, new MapSettings(Head: 2), "head: this model has 2 heads (0 to 1)" },
        { MapView.Attention, new MapSettings(FromToken: 16), "from: must be between 0 and 15 (the grid is 4x4" },
        { MapView.Original, new MapSettings(Size: 4), "size: must be between 8 and 1024" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Bad_settings_are_invalid_requests_that_name_the_setting_and_what_it_accepts(MapView view, MapSettings settings, string message)
    {
        using var renderer = Renderer();
        var error = await Assert.ThrowsAsync<MapException>(() => renderer.RenderAsync(Query(view, "test-0", settings: settings)));
        Assert.False(error.NotFound);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task Describe_lists_checkpoints_grid_heads_and_a_seeded_sample_of_the_test_split()
    {
        using var renderer = Renderer();
        var info = await renderer.DescribeAsync(_run, null, 4, seed: 3);
        Assert.Equal(["step-00000001", "step-00000002"], info.Checkpoints);
        Assert.Equal(("step-00000002", Grid, Grid, ImageSize, Heads), (info.Checkpoint, info.GridHeight, info.GridWidth, info.ImageSize, info.Heads));
        Assert.Equal(4, info.Images.Count);
        Assert.All(info.Images, i => Assert.Matches("^test-[0-5]$", i.Id));
        Assert.All(info.Images, i => Assert.Equal($"class{i.Label}", i.ClassName));
        Assert.Equal(info.Images, (await renderer.DescribeAsync(_run, "1", 4, seed: 3)).Images);
        Assert.Equal(6, (await renderer.DescribeAsync(_run, null, 50, seed: 0)).Images.Count); // all there is
    }

    /// <summary>16 px RGB: a 6 px bright square (230) at a different place per image on a dark (20) background.</summary>
    private sealed class SquaresDataset : IImageDataset
    {
        public static (int X, int Y) Corner(int index) => (index * 3 % 10, index * 5 % 10);

        private sealed class Source(int count) : IImageSource
        {
            public int Count => count;
            public int LabelAt(int index) => index % 2;
            public ImageSample Read(int index)
            {
                var pixels = new byte[ImageSize * ImageSize * 3];
                Array.Fill(pixels, (byte)20);
                var (x0, y0) = Corner(index);
                for (int y = y0; y < y0 + 6; y++)
                    for (int x = x0; x < x0 + 6; x++)
                        for (int c = 0; c < 3; c++) pixels[(y * ImageSize + x) * 3 + c] = 230;
                return new ImageSample(pixels, ImageSize, ImageSize, 3, LabelAt(index));
            }
        }

        public string Description => "squares";
        public int Channels => 3;
        public IReadOnlyList<float> Mean => [0.5f, 0.5f, 0.5f];
        public IReadOnlyList<float> Std => [0.25f, 0.25f, 0.25f];
        public IReadOnlyList<string> ClassNames => ["class0", "class1"];
        public IReadOnlyList<DatasetSplit> Splits => [new("train", SplitRole.Train, new Source(4)), new("test", SplitRole.Test, new Source(6))];
        public IReadOnlyList<DatasetSplit> PretrainingSplits => Splits;
        public (int Width, int Height)? FixedSize => (ImageSize, ImageSize);
        public void Dispose() { }
    }
}
