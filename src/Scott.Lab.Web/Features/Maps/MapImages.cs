using Scott.Lab.Engine.Analysis;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Plugins;

namespace Scott.Lab.Web.Features.Maps;

/// <summary>What the Maps tab and GET /api/runs/{id}/maps/images show: a checkpoint's grid and heads, the run's checkpoints, sampled images.</summary>
public sealed record MapCatalog(string Checkpoint, IReadOnlyList<string> Checkpoints, int GridHeight, int GridWidth, int ImageSize, int Heads, IReadOnlyList<MapImageInfo> Images);

/// <summary>
/// The portal's <see cref="IMapImages"/>: run id → the run's folder (run store) → <see cref="MapRenderer"/> with the
/// portal's plugin catalog. Image ids are dataset ids (<c>test-12</c>) or uploads (<see cref="MapUploads"/>).
/// </summary>
public sealed class MapImages : IMapImages, IDisposable
{
    private readonly RunStore _store;
    private readonly MapRenderer _renderer;

    public MapImages(RunStore store, PortalPlugins plugins, MapUploads uploads)
    {
        _store = store;
        // The run's spec comes from the store (its source of truth), found by the run folder the renderer keys on.
        _renderer = new MapRenderer((dir, checkpoint) => MapModel.Load(SpecOf(dir), checkpoint, plugins.Catalog, MapModel.SharedProcessOverrides), uploads.Read,
            new MapRendererOptions { Threads = 1 }); // the portal's only torch work: training runs in worker processes
    }

    private System.Text.Json.Nodes.JsonObject SpecOf(string runDirectory) =>
        _store.FindByDirectory(runDirectory)?.Spec ?? throw MapException.Missing($"no run of the store has its folder at {runDirectory}, or it has no spec.");

    /// <summary>The shared renderer (its cache counters, for tests and the benchmark).</summary>
    public MapRenderer Renderer => _renderer;

    public async Task<MapImage> RenderAsync(MapRequest request, CancellationToken cancellationToken = default)
    {
        var view = request.Kind switch
        {
            MapKind.Original => MapView.Original,
            MapKind.Pca => MapView.Pca,
            MapKind.Attention => MapView.Attention,
            _ => throw MapException.Invalid($"kind: '{request.Kind}' is not one of original, pca, attention."),
        };
        var settings = new MapSettings(request.Threshold, request.Sign, request.ForegroundOnly, request.Head, request.FromToken,
            request.Bilinear ? Upsampling.Bilinear : Upsampling.Nearest, request.Size);
        var query = new MapQuery(RunFolder(request.RunId), request.Checkpoint, view, request.Image, request.ImageSet, settings);
        var map = await _renderer.RenderAsync(query, cancellationToken);
        return new MapImage(map.Png, map.Width, map.Height, map.GridHeight, map.GridWidth);
    }

    /// <summary>The checkpoint's grid and heads, the run's checkpoints and <paramref name="count"/> images of its test split drawn with <paramref name="seed"/>.</summary>
    public async Task<MapCatalog> DescribeAsync(string runId, string? checkpoint, int count = 24, int seed = 0, CancellationToken cancellationToken = default)
    {
        var info = await _renderer.DescribeAsync(RunFolder(runId), checkpoint, count, seed, cancellationToken);
        return new MapCatalog(info.Checkpoint, info.Checkpoints, info.GridHeight, info.GridWidth, info.ImageSize, info.Heads, info.Images);
    }

    private string RunFolder(string runId) =>
        _store.Get(runId)?.Directory ?? throw MapException.Missing($"no run '{runId}'. GET /api/runs lists the runs.");

    public void Dispose() => _renderer.Dispose();
}

public static class MapServices
{
    /// <summary>The maps renderer (one torch thread, caches) and the uploaded images.</summary>
    public static IServiceCollection AddMaps(this IServiceCollection services)
    {
        services.AddSingleton<MapUploads>();
        services.AddSingleton<MapImages>();
        services.AddSingleton<IMapImages>(sp => sp.GetRequiredService<MapImages>());
        return services;
    }
}
