namespace Scott.Lab.Web.Features.Maps;

/// <summary>Which picture of an image a map request asks for.</summary>
public enum MapKind
{
    /// <summary>The image as the encoder saw it (resized, centre-cropped), RGB.</summary>
    Original,
    /// <summary>The PCA patch-embedding map: PCA fitted jointly on <see cref="MapRequest.ImageSet"/>.</summary>
    Pca,
    /// <summary>The last block's attention: received per token, or from <see cref="MapRequest.FromToken"/>.</summary>
    Attention,
}

/// <summary>
/// One map picture of one image of a run. Images are named by dataset ids such as <c>test-12</c>
/// (split name, '-', index in that split) or by an uploaded image's id. The PCA is fitted jointly on the
/// whole <see cref="ImageSet"/> (which contains <see cref="Image"/>), so that colours match across the set.
/// </summary>
/// <param name="Checkpoint">A checkpoint folder name or step of the run; null = the run's latest.</param>
/// <param name="Head">Attention head; null = the mean over heads.</param>
/// <param name="FromToken">Attention from this patch (row-major in the grid); null = attention received.</param>
/// <param name="Size">Side of the returned PNG in pixels; null = the model's image size.</param>
public sealed record MapRequest(
    string RunId,
    string? Checkpoint,
    MapKind Kind,
    string Image,
    IReadOnlyList<string> ImageSet,
    double Threshold = 0.5,
    int Sign = 1,
    bool ForegroundOnly = true,
    int? Head = null,
    int? FromToken = null,
    bool Bilinear = false,
    int? Size = null);

/// <summary>A rendered map: PNG bytes and the grid it was computed on.</summary>
public sealed record MapImage(byte[] Png, int Width, int Height, int GridHeight, int GridWidth);

/// <summary>
/// Renders map PNGs for the portal (the run page's Maps tab, the comparison page, share snapshots). Results are
/// cached per (checkpoint, image, settings). Throws the engine's <see cref="Engine.Analysis.MapException"/> for a request that names
/// an unknown run, checkpoint or image, or has bad settings.
/// </summary>
public interface IMapImages
{
    Task<MapImage> RenderAsync(MapRequest request, CancellationToken cancellationToken = default);

    /// <summary>The checkpoint's grid and heads, the run's checkpoints and <paramref name="count"/> test images drawn with <paramref name="seed"/> (what an image picker offers).</summary>
    Task<MapCatalog> DescribeAsync(string runId, string? checkpoint, int count = 24, int seed = 0, CancellationToken cancellationToken = default);
}
