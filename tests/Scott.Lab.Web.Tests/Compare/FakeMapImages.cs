using Scott.Lab.Engine.Analysis;
using System.Collections.Concurrent;
using Scott.Lab.Web.Features.Maps;
using SkiaSharp;

namespace Scott.Lab.Web.Tests.Compare;

/// <summary>
/// A map renderer for the comparison tests: small real PNGs (SkiaSharp), one flat colour per (run, kind, image), so a
/// test can tell which picture it got. Images named "missing-*" are refused the way the real renderer refuses.
/// </summary>
public sealed class FakeMapImages : IMapImages
{
    public const int Size = 8;
    public ConcurrentBag<MapRequest> Requests { get; } = [];

    public Task<MapImage> RenderAsync(MapRequest request, CancellationToken cancellationToken = default)
    {
        Requests.Add(request);
        if (request.Image.StartsWith("missing", StringComparison.Ordinal))
            throw MapException.Missing($"no image '{request.Image}' in the dataset");
        return Task.FromResult(new MapImage(Png(ColorOf(request.RunId, request.Kind, request.Image)), Size, Size, 2, 2));
    }

    /// <summary>Six test images; seed 1 offers six others. A run named in <see cref="NoCheckpoint"/> has none.</summary>
    public Task<MapCatalog> DescribeAsync(string runId, string? checkpoint, int count = 24, int seed = 0, CancellationToken cancellationToken = default)
    {
        if (NoCheckpoint.Contains(runId)) throw MapException.Missing($"run '{runId}' has no checkpoint yet");
        var images = Enumerable.Range(seed * 6, 6).Select(i => new MapImageInfo($"test-{i}", i % 3, $"class {i % 3}")).ToList();
        return Task.FromResult(new MapCatalog("step-00000010", ["step-00000010"], 2, 2, Size, 2, images));
    }

    public HashSet<string> NoCheckpoint { get; } = [];

    public static SKColor ColorOf(string runId, MapKind kind, string image)
    {
        int hash = StringComparer.Ordinal.GetHashCode($"{runId}|{kind}|{image}");
        return new SKColor((byte)hash, (byte)(hash >> 8), (byte)(hash >> 16));
    }

    public static byte[] Png(SKColor color)
    {
        using var bitmap = new SKBitmap(Size, Size);
        bitmap.Erase(color);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The colour of a PNG's top-left pixel.</summary>
    public static SKColor PixelOf(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png);
        return bitmap.GetPixel(0, 0);
    }
}
