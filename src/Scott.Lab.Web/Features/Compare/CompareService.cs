using Scott.Lab.Engine.Analysis;
using Scott.Lab.Engine.Evaluation;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Comparison;
using Scott.Lab.Runs.Snapshots;
using Scott.Lab.Web.Features.Maps;

namespace Scott.Lab.Web.Features.Compare;

/// <summary>
/// What the comparison pages and endpoints share: loading runs (live or from a snapshot), map URLs, freezing a
/// snapshot with its map PNGs, and the HTML export. Maps go through <see cref="IMapImages"/> when the portal has one
/// (it is optional: without it, maps are "unavailable" and snapshots skip them with a note).
/// </summary>
public sealed class CompareService(RunStore store, SnapshotStore snapshots, IServiceProvider services, ILogger<CompareService> logger)
{
    /// <summary>The maps drawn per image in snapshots and exports: the picture itself and both map kinds.</summary>
    public static readonly string[] FrozenKinds = ["original", "pca", "attention"];

    public RunStore Store => store;
    public SnapshotStore Snapshots => snapshots;
    /// <summary>Whether the portal has a map renderer (asked without resolving it: it may be scoped).</summary>
    public bool MapsAvailable => services.GetService<IServiceProviderIsService>()?.IsService(typeof(IMapImages)) == true;
    public const string MapsUnavailable = "Maps are unavailable: this portal has no map renderer (IMapImages) registered.";

    public (List<RunData> Runs, List<string> Missing) LoadLive(IEnumerable<string> runIds) => ComparisonLoader.Load(store, runIds);

    /// <summary>Where a live map PNG is served (the run page's maps endpoint); the PCA is fitted on the view's whole image set.</summary>
    public static string LiveMapUrl(string runId, string kind, string image, IReadOnlyList<string> imageSet) =>
        $"/api/runs/{Uri.EscapeDataString(runId)}/maps/{kind}.png?image={Uri.EscapeDataString(image)}&set={string.Join(',', imageSet.Select(Uri.EscapeDataString))}";

    /// <summary>A small picture of an image for the picker (the run's encoder preprocessing, 64 px).</summary>
    public static string ThumbnailUrl(string runId, string image) =>
        $"/api/runs/{Uri.EscapeDataString(runId)}/maps/original.png?image={Uri.EscapeDataString(image)}&size=64";

    /// <summary>
    /// The test images the comparison's picker offers, from the first of the runs whose encoder loads (a run may have
    /// no checkpoint yet); null with the reason when none does.
    /// </summary>
    public async Task<(List<ImageChoice>? Choices, string? Note)> ImageChoicesAsync(IReadOnlyList<string> runIds, int seed, CancellationToken cancellationToken = default)
    {
        if (!MapsAvailable) return (null, MapsUnavailable);
        using var scope = services.CreateScope();
        var maps = scope.ServiceProvider.GetRequiredService<IMapImages>();
        string? problem = null;
        foreach (string runId in runIds)
        {
            try
            {
                var catalog = await maps.DescribeAsync(runId, null, 24, seed, cancellationToken);
                return (catalog.Images.Select(i => new ImageChoice(i.Id, i.ClassName is null ? $"{i.Id} (label {i.Label})" : $"{i.Id}: {i.ClassName}",
                    ThumbnailUrl(runId, i.Id))).ToList(), null);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A run without a checkpoint, or whose dataset moved: try the next one, and say why if none works.
                problem ??= $"No images to pick from: {e.Message}";
            }
        }
        return (null, problem ?? "No images to pick from: no run to compare.");
    }

    public static string SnapshotMapUrl(string token, string runId, string kind, string image) =>
        $"/api/share/{token}/maps/{Uri.EscapeDataString(runId)}/{kind}/{Uri.EscapeDataString(image)}.png";

    /// <summary>Freezes the view's runs, their data and the map PNGs of its images; returns the snapshot.</summary>
    public async Task<SnapshotRecord> CreateSnapshotAsync(CompareView view, string? title, CancellationToken cancellationToken = default)
    {
        if (view.Runs.Count == 0) throw new CompareViewException("runs: a snapshot needs at least one run (runs=<id>,<id>).");
        var (runs, missing) = LoadLive(view.Runs);
        if (missing.Count > 0) throw new CompareViewException($"runs: no run {string.Join(", ", missing.Select(m => $"'{m}'"))}: remove it from the comparison before sharing.");
        var notes = new List<string>();
        var frozen = new List<FrozenMap>();
        if (view.Images.Count > 0)
        {
            if (!MapsAvailable) notes.Add(MapsUnavailable + " The snapshot has no maps.");
            else
                foreach (var picture in await RenderAsync(runs.Select(r => r.Run.Id).ToList(), view.Images, cancellationToken))
                {
                    if (picture.Png is { } png) frozen.Add(new FrozenMap(picture.RunId, picture.Image, picture.Kind, png));
                    else notes.Add($"No {picture.Kind} map of {picture.Image} for run {picture.RunId}: {picture.Error}");
                }
        }
        return snapshots.Create(title ?? "", view, runs, frozen, notes, FreezeCurves(runs, notes));
    }

    /// <summary>Each run's accuracy curve file as it is now; a damaged one is left out with a note.</summary>
    private static List<SnapshotCurve> FreezeCurves(IReadOnlyList<RunData> runs, List<string> notes)
    {
        var curves = new List<SnapshotCurve>();
        foreach (var run in runs)
        {
            string file = AccuracyCurve.PathIn(run.Run.Directory);
            if (!File.Exists(file)) continue;
            try
            {
                string json = File.ReadAllText(file);
                if (AccuracyCurve.Parse(json, file).Points.Count > 0) curves.Add(new SnapshotCurve { RunId = run.Run.Id, Json = json });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                notes.Add($"The accuracy curve of run {run.Run.Name} is left out: {e.Message}");
            }
        }
        return curves;
    }

    /// <summary>The frozen runs and the view of a snapshot (the query given, else the one it was shared with).</summary>
    public (SnapshotRecord Snapshot, Comparison Comparison)? LoadSnapshot(string token, string? query)
    {
        if (snapshots.Get(token) is not { } snapshot) return null;
        var shared = CompareView.Parse(snapshot.Query);
        var view = string.IsNullOrEmpty(query?.TrimStart('?')) ? shared : CompareView.Parse(query) with { Runs = shared.Runs };
        var comparison = ComparisonBuilder.Build(snapshots.Load(snapshot), view);
        comparison.Notes.AddRange(snapshot.Notes);
        return (snapshot, comparison);
    }

    /// <summary>The live view's maps as data: URIs, for the HTML export.</summary>
    public async Task<(List<MapPicture> Maps, string? Note)> LiveMapPicturesAsync(Comparison comparison, CancellationToken cancellationToken)
    {
        if (comparison.View.Images.Count == 0) return ([], null);
        if (!MapsAvailable) return ([], MapsUnavailable);
        var rendered = await RenderAsync(comparison.Runs.Select(r => r.Id).ToList(), comparison.View.Images, cancellationToken);
        return (rendered.Where(p => p.Kind == "original" || p.Kind == Kind(comparison.View.Map)).Select(ToPicture).ToList(), null);
    }

    /// <summary>A snapshot's frozen maps as data: URIs, for its HTML export.</summary>
    public List<MapPicture> SnapshotMapPictures(SnapshotRecord snapshot, Comparison comparison) =>
        snapshot.Maps.Where(m => comparison.View.Images.Contains(m.Image) && (m.Kind == "original" || m.Kind == Kind(comparison.View.Map)))
            .Select(m => snapshots.MapPng(snapshot, m.RunId, m.Kind, m.Image) is { } png
                ? new MapPicture(m.RunId, m.Image, m.Kind, DataUri(png))
                : new MapPicture(m.RunId, m.Image, m.Kind, null, "missing from the snapshot"))
            .ToList();

    public static string Kind(CompareMapKind kind) => kind == CompareMapKind.Attention ? "attention" : "pca";

    private static MapPicture ToPicture(RenderedMap map) =>
        new(map.RunId, map.Image, map.Kind, map.Png is { } png ? DataUri(png) : null, map.Error);

    private static string DataUri(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);

    private sealed record RenderedMap(string RunId, string Image, string Kind, byte[]? Png, string? Error);

    private async Task<List<RenderedMap>> RenderAsync(IReadOnlyList<string> runIds, IReadOnlyList<string> images, CancellationToken cancellationToken)
    {
        // A scope of its own, whether the renderer is registered as a singleton or per scope.
        using var scope = services.CreateScope();
        var maps = scope.ServiceProvider.GetRequiredService<IMapImages>();
        var result = new List<RenderedMap>();
        foreach (string runId in runIds)
            foreach (string image in images)
                foreach (string kind in FrozenKinds)
                {
                    var mapKind = kind switch { "pca" => MapKind.Pca, "attention" => MapKind.Attention, _ => MapKind.Original };
                    try
                    {
                        var rendered = await maps.RenderAsync(new MapRequest(runId, null, mapKind, image, images), cancellationToken);
                        result.Add(new RenderedMap(runId, image, kind, rendered.Png, null));
                    }
                    catch (MapException e)
                    {
                        result.Add(new RenderedMap(runId, image, kind, null, e.Message));
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        logger.LogWarning(e, "Map {Kind} of {Image} for run {RunId} failed", kind, image, runId);
                        result.Add(new RenderedMap(runId, image, kind, null, e.Message));
                    }
                }
        return result;
    }
}
