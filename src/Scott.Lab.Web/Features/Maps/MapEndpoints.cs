using Scott.Lab.Engine.Analysis;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.Features;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Engine.Config;
using Scott.Lab.Plugins;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Features.Maps;

/// <summary>
/// Map pictures of a run as PNGs (the Maps tab and the comparison page use these URLs):
/// <list type="bullet">
/// <item><c>GET /api/runs/{id}/maps/images?count=24&amp;seed=0[&amp;checkpoint=C]</c>: sampled images, checkpoints, grid, image size, heads;</item>
/// <item><c>GET /api/runs/{id}/maps/{original|pca|attention}.png?image=ID[&amp;set=ID,ID][&amp;checkpoint=C][&amp;threshold=0.5][&amp;sign=1]
/// [&amp;foreground=true][&amp;head=H][&amp;from=T][&amp;upsample=nearest|bilinear][&amp;size=PX]</c>;</item>
/// <item><c>POST /api/runs/{id}/maps/uploads</c> (multipart, one image file): <c>{"id": "upload-..."}</c>, behind the admin gate.</item>
/// </list>
/// Unknown run, checkpoint or image: 404 <c>{"error"}</c>; bad settings: 400 <c>{"error"}</c> naming the parameter and what it accepts.
/// </summary>
public static class MapEndpoints
{
    public static IEndpointRouteBuilder MapMapEndpoints(this IEndpointRouteBuilder app)
    {
        var maps = app.MapGroup("/api/runs/{id}/maps");

        maps.MapGet("images", async (string id, HttpContext context, MapImages images) =>
        {
            var query = context.Request.Query;
            try
            {
                int count = ParseInt(query, "count", "a number of images from 1 to 1000") ?? 24;
                int seed = ParseInt(query, "seed", "any whole number") ?? 0;
                var catalog = await images.DescribeAsync(id, NonEmpty(query["checkpoint"]), count, seed, context.RequestAborted);
                // camelCase: {checkpoint, checkpoints, gridHeight, gridWidth, imageSize, heads, images: [{id, label, className}]}
                return Results.Json(catalog, ApiResults.Json);
            }
            catch (Exception e) when (CannotBuild(e))
            {
                return Unavailable(id, e);
            }
            catch (MapException e)
            {
                return Refusal(e);
            }
        });

        maps.MapGet("{kind}.png", async (string id, string kind, HttpContext context, IMapImages images) =>
        {
            MapImage map;
            try
            {
                map = await images.RenderAsync(ParseRequest(id, kind, context.Request.Query), context.RequestAborted);
            }
            catch (Exception e) when (CannotBuild(e))
            {
                return Unavailable(id, e);
            }
            catch (MapException e)
            {
                return Refusal(e);
            }
            // A named checkpoint (and a dataset or content-named image) never changes: cache for good. The latest may move on.
            bool pinned = !string.IsNullOrWhiteSpace(context.Request.Query["checkpoint"]);
            context.Response.Headers.CacheControl = pinned ? "public, max-age=31536000, immutable" : "public, max-age=10";
            string etag = $"\"{Convert.ToHexString(SHA256.HashData(map.Png))[..20]}\"";
            context.Response.Headers.ETag = etag;
            if (context.Request.Headers.IfNoneMatch.Contains(etag)) return Results.StatusCode(StatusCodes.Status304NotModified);
            return Results.File(map.Png, "image/png");
        });

        maps.MapPost("uploads", async (string id, HttpContext context, MapUploads uploads, Scott.Lab.Runs.RunStore store, AdminGate gate) =>
        {
            if (ApiResults.Refused(context, gate) is { } refusal) return refusal;
            if (store.Get(id) is null) return ApiResults.Error(StatusCodes.Status404NotFound, $"no run '{id}'. GET /api/runs lists the runs.");
            if (!context.Request.HasFormContentType)
                return ApiResults.Error(StatusCodes.Status400BadRequest, "file: send the image as multipart/form-data with one file field (e.g. curl -F file=@cat.jpg).");
            // Refuse a body larger than an image may be before reading it (the form reader would buffer up to 128 MB).
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                limit.MaxRequestBodySize = MapUploads.MaxBytes + (64 << 10);
            IFormCollection form;
            try { form = await context.Request.ReadFormAsync(context.RequestAborted); }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return ApiResults.Error(StatusCodes.Status413PayloadTooLarge, $"file: larger than {MapUploads.MaxBytes >> 20} MB; upload a smaller image.");
            }
            if (form.Files.Count != 1)
                return ApiResults.Error(StatusCodes.Status400BadRequest, $"file: send exactly one image file, got {form.Files.Count}.");
            var file = form.Files[0];
            try
            {
                await using var stream = file.OpenReadStream();
                string saved = await uploads.SaveAsync(stream, file.FileName, context.RequestAborted);
                return Results.Json(new { id = saved }, ApiResults.Json, statusCode: StatusCodes.Status201Created);
            }
            catch (MapException e)
            {
                return Refusal(e);
            }
        }).DisableAntiforgery() // an API call with the admin gate, like the other writes; not a form of ours
          .WithMetadata(CrossSiteGuard.AcceptsForms); // cross-site posts are still refused by their Origin

        return app;
    }

    /// <summary>The run exists but cannot be built here: its dataset moved, a plugin is gone, a checkpoint is damaged.</summary>
    private static bool CannotBuild(Exception e) =>
        e is ConfigException or PluginException or DatasetException or InvalidOperationException or IOException;

    private static IResult Unavailable(string id, Exception e) =>
        ApiResults.Error(StatusCodes.Status500InternalServerError, $"cannot build run '{id}' for its maps: {e.Message}");

    private static IResult Refusal(MapException e) =>
        ApiResults.Error(e.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest, e.Message);

    /// <summary>The query string of a .png request as a <see cref="MapRequest"/>; a 400 <see cref="MapException"/> names a bad parameter.</summary>
    public static MapRequest ParseRequest(string runId, string kind, IQueryCollection query)
    {
        var mapKind = kind switch
        {
            "original" => MapKind.Original,
            "pca" => MapKind.Pca,
            "attention" => MapKind.Attention,
            _ => throw Bad($"kind: '{kind}.png' is not one of original.png, pca.png, attention.png."),
        };
        string image = NonEmpty(query["image"]) ?? throw Bad("image: required, e.g. ?image=test-0 (GET /api/runs/{id}/maps/images lists ids) or an uploaded image's id.");
        var set = (NonEmpty(query["set"]) ?? image).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        double threshold = 0.5;
        if (NonEmpty(query["threshold"]) is { } t && !double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out threshold))
            throw Bad($"threshold: '{t}' is not a number; use a value in [0, 1), e.g. 0.5.");
        int sign = ParseInt(query, "sign", "1 or -1") ?? 1;
        bool foreground = true;
        if (NonEmpty(query["foreground"]) is { } f && !bool.TryParse(f, out foreground))
            throw Bad($"foreground: '{f}' is not one of true, false.");
        int? head = NonEmpty(query["head"]) is "mean" ? null : ParseInt(query, "head", "a head index from 0, or mean (the default)");
        int? from = ParseInt(query, "from", "a token index from 0 (row-major in the grid); leave it out for the attention received");
        bool bilinear = NonEmpty(query["upsample"]) switch
        {
            null or "nearest" => false,
            "bilinear" => true,
            var other => throw Bad($"upsample: '{other}' is not one of nearest, bilinear."),
        };
        int? size = ParseInt(query, "size", "a side in pixels, e.g. 224");
        return new MapRequest(runId, NonEmpty(query["checkpoint"]), mapKind, image, set, threshold, sign, foreground, head, from, bilinear, size);
    }

    private static int? ParseInt(IQueryCollection query, string name, string allowed) =>
        NonEmpty(query[name]) is not { } text ? null
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value
        : throw Bad($"{name}: '{text}' is not a whole number; use {allowed}.");

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static MapException Bad(string message) => new(message, notFound: false);
}
