using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Scott.Lab.Cli.Commands;
using Scott.Lab.Engine.Analysis;
using Scott.Lab.Web.Features.Maps;
using Scott.Lab.Web.Tests.Integration;
using SkiaSharp;

namespace Scott.Lab.Web.Tests.Maps;

/// <summary>
/// A portal on a data folder holding one tiny run trained in-process by `scott-lab train` (6 steps of 16 images,
/// checkpoints at steps 3 and 6; 28 px, a 7×7 grid, 2 heads), shared by the tests of a class.
/// </summary>
public sealed class TinyRunPortal : IDisposable
{
    public TinyRunPortal()
    {
        DataDir = PortalHost.NewDataDir();
        var output = new StringWriter();
        int exit = CliApp.Run(["train", Path.Combine(Specs.RepoRoot, "configs", "ssl", "tiny.yaml"), "--run-dir", Path.Combine(DataDir, "runs", "tiny"),
            "--data-dir", DataDir, "--set", "trainer.steps=6", "--set", "trainer.batch_size=16", "--set", "trainer.checkpoint_every=3"], output, output);
        if (exit != 0) throw new InvalidOperationException($"training the tiny run failed ({exit}):\n{output}");
        Host = new PortalHost(DataDir);
        Client = Host.CreateClient();
        RunId = Host.Store.List().Single().Id;
    }

    public string DataDir { get; }
    public PortalHost Host { get; }
    public HttpClient Client { get; }
    public string RunId { get; }
    public MapImages Maps => Host.Services.GetRequiredService<MapImages>();

    public void Dispose()
    {
        Host.Dispose();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}

public sealed class MapEndpointTests(TinyRunPortal portal) : IClassFixture<TinyRunPortal>
{
    private string Maps => $"/api/runs/{portal.RunId}/maps";

    private static SKBitmap DecodePng(byte[] bytes) => SKBitmap.Decode(bytes) ?? throw new Xunit.Sdk.XunitException("the response is not a decodable image");

    private static int Colours(SKBitmap bitmap) =>
        Enumerable.Range(0, bitmap.Height).SelectMany(y => Enumerable.Range(0, bitmap.Width).Select(x => bitmap.GetPixel(x, y))).Distinct().Count();

    private async Task<JsonObject> Error(string url, HttpStatusCode expected)
    {
        var response = await portal.Client.GetAsync(url);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{url}: {response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    [Fact]
    public async Task The_images_list_has_sampled_test_images_with_classes_the_checkpoints_grid_and_heads()
    {
        var list = JsonNode.Parse(await portal.Client.GetStringAsync($"{Maps}/images?count=5&seed=2"))!.AsObject();
        var images = list["images"]!.AsArray();
        Assert.Equal(5, images.Count);
        Assert.All(images, i => Assert.Matches("^test-\\d+$", (string)i!["id"]!));
        Assert.All(images, i => Assert.False(string.IsNullOrEmpty((string?)i!["className"])));
        Assert.Equal(["step-00000003", "step-00000006"], list["checkpoints"]!.AsArray().Select(c => (string)c!));
        Assert.Equal((7, 7, 28, 2), ((int)list["gridHeight"]!, (int)list["gridWidth"]!, (int)list["imageSize"]!, (int)list["heads"]!));
        // The same seed, the same images; another seed, others.
        var again = JsonNode.Parse(await portal.Client.GetStringAsync($"{Maps}/images?count=5&seed=2"))!["images"]!.AsArray();
        Assert.Equal(images.Select(i => (string)i!["id"]!), again.Select(i => (string)i!["id"]!));
        var other = JsonNode.Parse(await portal.Client.GetStringAsync($"{Maps}/images?count=5&seed=3"))!["images"]!.AsArray();
        Assert.NotEqual(images.Select(i => (string)i!["id"]!), other.Select(i => (string)i!["id"]!));
    }

    [Theory]
    [InlineData("original", 64)]
    [InlineData("pca", 56)]
    [InlineData("attention", 84)]
    public async Task Map_endpoints_return_a_png_of_the_requested_size_that_is_not_uniform(string kind, int size)
    {
        string url = $"{Maps}/{kind}.png?image=test-3&set=test-3,test-7,test-11&checkpoint=6&threshold=0.3&size={size}";
        var response = await portal.Client.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("immutable", response.Headers.CacheControl?.ToString());
        using var bitmap = DecodePng(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((size, size), (bitmap.Width, bitmap.Height));
        Assert.True(Colours(bitmap) > 1, $"{kind}: every pixel has the same colour");
    }

    [Fact]
    public async Task A_repeated_request_is_a_cache_hit_with_identical_bytes()
    {
        string url = $"{Maps}/attention.png?image=test-5&checkpoint=step-00000006&head=1&from=24&upsample=bilinear";
        byte[] first = await portal.Client.GetByteArrayAsync(url);
        int hits = portal.Maps.Renderer.PngCache.Hits, runs = portal.Maps.Renderer.EncoderRuns;
        byte[] second = await portal.Client.GetByteArrayAsync(url);
        Assert.Equal(first, second);
        Assert.Equal(hits + 1, portal.Maps.Renderer.PngCache.Hits);
        Assert.Equal(runs, portal.Maps.Renderer.EncoderRuns);
        using var bitmap = DecodePng(second);
        Assert.Equal((28, 28), (bitmap.Width, bitmap.Height)); // no size: the model's

        // Another token's row is another picture; the other checkpoint, too.
        Assert.NotEqual(first, await portal.Client.GetByteArrayAsync(url.Replace("from=24", "from=0")));
        Assert.NotEqual(first, await portal.Client.GetByteArrayAsync(url.Replace("step-00000006", "3")));
    }

    [Theory]
    [InlineData("/api/runs/no-such-run/maps/pca.png?image=test-0", "no run 'no-such-run'")]
    [InlineData("/api/runs/no-such-run/maps/images", "no run 'no-such-run'")]
    [InlineData("{maps}/pca.png?image=test-0&checkpoint=99", "Available: step-00000003, step-00000006")]
    [InlineData("{maps}/images?checkpoint=step-9", "no checkpoint 'step-9'")]
    [InlineData("{maps}/attention.png?image=test-200", "test-0 to test-199")]
    [InlineData("{maps}/attention.png?image=upload-0123456789abcdef", "no image 'upload-0123456789abcdef'")]
    [InlineData("{maps}/original.png?image=../../etc/passwd", "no image '../../etc/passwd'")]
    public async Task Unknown_runs_checkpoints_and_images_are_404_with_what_exists(string url, string message)
    {
        var error = await Error(url.Replace("{maps}", Maps), HttpStatusCode.NotFound);
        Assert.Contains(message, (string)error["error"]!);
    }

    [Theory]
    [InlineData("heatmap.png?image=test-0", "kind: 'heatmap.png' is not one of original.png, pca.png, attention.png")]
    [InlineData("pca.png", "image: required")]
    [InlineData("pca.png?image=test-0&threshold=high", "threshold: 'high' is not a number")]
    [InlineData("pca.png?image=test-0&threshold=1.5", "threshold: must be in [0, 1)")]
    [InlineData("pca.png?image=test-0&sign=2", "sign: must be 1 or -1")]
    [InlineData("pca.png?image=test-0&foreground=maybe", "foreground: 'maybe' is not one of true, false")]
    [InlineData("attention.png?image=test-0&head=2", "head: this model has 2 heads (0 to 1)")]
    [InlineData("attention.png?image=test-0&head=first", "head: 'first' is not a whole number")]
    [InlineData("attention.png?image=test-0&from=49", "from: must be between 0 and 48 (the grid is 7x7")]
    [InlineData("attention.png?image=test-0&upsample=cubic", "upsample: 'cubic' is not one of nearest, bilinear")]
    [InlineData("original.png?image=test-0&size=4000", "size: must be between 8 and 1024")]
    [InlineData("images?count=0", "count: must be between 1 and 1000")]
    public async Task Bad_settings_are_400_naming_the_parameter_and_what_it_accepts(string path, string message)
    {
        var error = await Error($"{Maps}/{path}", HttpStatusCode.BadRequest);
        Assert.Contains(message, (string)error["error"]!);
    }

    [Fact]
    public async Task An_uploaded_image_is_stored_under_data_uploads_by_content_and_mapped_with_the_dataset_images()
    {
        // A 40×30 picture: a bright disc on a dark ground.
        var pixels = new byte[40 * 30 * 3];
        for (int y = 0; y < 30; y++)
            for (int x = 0; x < 40; x++)
                pixels.AsSpan((y * 40 + x) * 3, 3).Fill((byte)((x - 20) * (x - 20) + (y - 15) * (y - 15) < 100 ? 240 : 10));
        byte[] png = MapImaging.EncodePng(new RgbPixels(pixels, 40, 30));

        async Task<HttpResponseMessage> Upload(byte[] bytes, string name)
        {
            var form = new MultipartFormDataContent();
            var file = new ByteArrayContent(bytes);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(file, "file", name);
            return await portal.Client.PostAsync($"{Maps}/uploads", form);
        }
        var response = await Upload(png, "disc.png");
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        string id = (string)JsonNode.Parse(body)!["id"]!;
        Assert.Matches("^upload-[0-9a-f]{16}$", id);
        Assert.Equal([Path.Combine(portal.DataDir, "uploads", id)], Directory.GetFiles(Path.Combine(portal.DataDir, "uploads")));
        Assert.Equal(id, (string)JsonNode.Parse(await (await Upload(png, "again.png")).Content.ReadAsStringAsync())!["id"]!); // by content

        using var map = DecodePng(await portal.Client.GetByteArrayAsync($"{Maps}/pca.png?image={id}&set=test-1,{id}&threshold=0.3&size=56"));
        Assert.Equal((56, 56), (map.Width, map.Height));
        using var original = DecodePng(await portal.Client.GetByteArrayAsync($"{Maps}/original.png?image={id}"));
        Assert.Equal((28, 28), (original.Width, original.Height)); // resized and centre-cropped as eval does
        Assert.True(Colours(original) > 1);

        var notAnImage = await Upload("not an image"u8.ToArray(), "notes.png");
        Assert.Equal(HttpStatusCode.BadRequest, notAnImage.StatusCode);
        Assert.Contains("file: cannot read image 'notes.png'", (string)JsonNode.Parse(await notAnImage.Content.ReadAsStringAsync())!["error"]!);
        var noFile = await portal.Client.PostAsync($"{Maps}/uploads", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.BadRequest, noFile.StatusCode);
        Assert.Contains("multipart/form-data", await noFile.Content.ReadAsStringAsync());
        var tooLarge = await Upload(new byte[MapUploads.MaxBytes + 1], "huge.png");
        Assert.Contains(tooLarge.StatusCode, new[] { HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.BadRequest });
        Assert.Contains("larger than 16 MB", (string)JsonNode.Parse(await tooLarge.Content.ReadAsStringAsync())!["error"]!);
        Assert.Single(Directory.GetFiles(Path.Combine(portal.DataDir, "uploads")));
    }

    [Fact]
    public async Task Uploads_go_through_the_admin_gate()
    {
        using var host = new PortalHost(PortalHost.NewDataDir(), listenBeyondLoopback: "http://0.0.0.0:5080", adminKey: "secret");
        var client = host.CreateClient();
        var form = new MultipartFormDataContent { { new ByteArrayContent([1, 2, 3]), "file", "x.png" } };
        var refused = await client.PostAsync("/api/runs/any/maps/uploads", form);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("admin key", await refused.Content.ReadAsStringAsync());
        Assert.False(Directory.Exists(Path.Combine(host.DataDir, "uploads")));
    }

    [Fact]
    public async Task A_share_snapshot_of_a_real_run_freezes_the_renderers_maps()
    {
        // The comparison's own tests use a fake renderer; this one shares a real run, so the snapshot's PNGs come
        // from the map renderer and must decode and have colours, and the HTML export embeds them.
        var response = await portal.Client.PostAsync($"/api/snapshots?runs={portal.RunId}&images=test-0,test-1&map=pca", null);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        string token = (await response.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        foreach (string kind in new[] { "original", "pca", "attention" })
            foreach (string image in new[] { "test-0", "test-1" })
            {
                var frozen = await portal.Client.GetAsync($"/api/share/{token}/maps/{portal.RunId}/{kind}/{image}.png");
                Assert.True(frozen.StatusCode == HttpStatusCode.OK, $"{kind}/{image}: {frozen.StatusCode} {await frozen.Content.ReadAsStringAsync()}");
                using var bitmap = DecodePng(await frozen.Content.ReadAsByteArrayAsync());
                Assert.Equal(28, bitmap.Width);
                Assert.True(Colours(bitmap) > 1, $"{kind}/{image}: a uniform picture");
            }
        string html = await portal.Client.GetStringAsync($"/api/share/{token}/export.html");
        Assert.Contains("data:image/png;base64,", html);
    }
}
