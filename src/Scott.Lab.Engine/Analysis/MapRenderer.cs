using System.Globalization;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Engine.Evaluation;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Engine.Analysis;

/// <summary>Which picture of an image to render.</summary>
public enum MapView
{
    /// <summary>The image as the encoder saw it (resized, centre-cropped), RGB.</summary>
    Original,
    /// <summary>The PCA patch-embedding map, fitted jointly on the query's image set (<see cref="PcaMaps"/>).</summary>
    Pca,
    /// <summary>The last block's attention, received per patch or from one patch (<see cref="AttentionMaps"/>).</summary>
    Attention,
}

/// <summary>How a map is drawn. Fields that a view does not use are ignored (and do not split the cache).</summary>
/// <param name="Threshold">PCA: foreground when minmax(sign · pc1) is above this, in [0, 1).</param>
/// <param name="Sign">PCA: 1 or -1, which end of the first component is foreground.</param>
/// <param name="ForegroundOnly">PCA: background black (true) or every token coloured (false).</param>
/// <param name="Head">Attention head; null = the mean over heads.</param>
/// <param name="FromToken">Attention from this patch (row-major); null = attention received.</param>
/// <param name="Upsample">How token maps are enlarged.</param>
/// <param name="Size">Side of the picture in pixels; null = the model's image size.</param>
public sealed record MapSettings(
    double Threshold = 0.5,
    int Sign = 1,
    bool ForegroundOnly = true,
    int? Head = null,
    int? FromToken = null,
    Upsampling Upsample = Upsampling.Nearest,
    int? Size = null);

/// <summary>
/// One picture of one image of a run. <paramref name="ImageSet"/> is the PCA's joint image set (the image is always
/// part of it; order and duplicates do not matter); null = the image alone.
/// </summary>
public sealed record MapQuery(string RunDirectory, string? Checkpoint, MapView View, string Image, IReadOnlyList<string>? ImageSet, MapSettings Settings);

/// <summary>What the PCA of a set found: foreground tokens of all tokens, and the colour axes' explained variance ratio.</summary>
public sealed record PcaSummary(long ForegroundTokens, long Tokens, IReadOnlyList<double> ColourVarianceRatio);

/// <summary>A rendered picture and the grid and checkpoint it came from.</summary>
public sealed record RenderedPixels(RgbPixels Pixels, int GridHeight, int GridWidth, string Checkpoint, PcaSummary? Pca);

/// <summary>A rendered PNG.</summary>
public sealed record RenderedMap(byte[] Png, int Width, int Height, int GridHeight, int GridWidth, string Checkpoint);

/// <summary>What the maps of one checkpoint of a run offer: its checkpoints, grid, heads and a sample of images.</summary>
public sealed record MapRunInfo(string Checkpoint, IReadOnlyList<string> Checkpoints, int GridHeight, int GridWidth, int ImageSize, int Heads, int Channels, IReadOnlyList<MapImageInfo> Images);

/// <summary>Builds a run's encoder with a checkpoint loaded; called on the renderer's torch thread.</summary>
public delegate MapModel MapModelLoader(string runDirectory, string checkpoint);

/// <summary>Images that are not dataset ids (uploads, files given to the CLI): the decoded image in that many channels, or null when the id is unknown.</summary>
public delegate ImageSample? MapImageResolver(string id, int channels);

/// <summary>Bounds of the renderer's caches and requests.</summary>
public sealed record MapRendererOptions
{
    /// <summary>Loaded models (run, checkpoint) kept: each holds a whole encoder and an open dataset.</summary>
    public int Models { get; init; } = 2;
    /// <summary>Encoder outputs per (checkpoint, image): tokens, last-block attention and the preprocessed image.</summary>
    public long FeatureBytes { get; init; } = 256L << 20;
    /// <summary>Rendered PNGs per (checkpoint, image, settings).</summary>
    public long PngBytes { get; init; } = 64L << 20;
    /// <summary>PCA colour grids per (checkpoint, image set, PCA settings).</summary>
    public int PcaSets { get; init; } = 32;
    public int MaxSetSize { get; init; } = 64;
    public int MinSize { get; init; } = 8;
    public int MaxSize { get; init; } = 1024;
    /// <summary>
    /// Whether a query's checkpoint may be a checkpoint folder's absolute path (the CLI's --checkpoint DIR). Off for
    /// the portal: there a checkpoint is one of the run's own, by name or step, never a path from a request.
    /// </summary>
    public bool AllowCheckpointFolders { get; init; }
    /// <summary>
    /// libtorch intra-op threads for rendering, set on the torch thread around each model load (0 = leave libtorch's
    /// setting). The portal and the CLI ask for 1: map work is many small ops, and on a shared 2-core machine a second
    /// OpenMP thread made them several times slower (bench maps under load: 0.6–0.8 s against 1.6–5.5 s after the
    /// model load). Part of libtorch's setting (the BLAS threads) is process-wide, so only processes whose torch work
    /// is the maps should set it (training runs in worker processes).
    /// </summary>
    public int Threads { get; init; }
}

/// <summary>
/// Renders PCA and attention maps (and the preprocessed originals) of runs' frozen encoders, for the portal and
/// the CLI. Images are preprocessed as eval does; the PCA is fitted jointly on the query's image set (so colours
/// match across it). Caches, all bounded: loaded models per (run, checkpoint) (LRU of <see cref="MapRendererOptions.Models"/>),
/// encoder outputs per (checkpoint, image), PCA grids per (checkpoint, set, settings) and PNG bytes per
/// (checkpoint, image, settings) under byte budgets. All torch work runs on one dedicated <see cref="TorchThread"/>;
/// a PNG already rendered is answered without it.
/// </summary>
public sealed class MapRenderer : IDisposable
{
    private readonly MapModelLoader _loader;
    private readonly MapImageResolver? _images;
    private readonly TorchThread _torch = new("scott-lab-maps");
    private readonly LruCache<string, MapModel> _models;
    private readonly LruCache<(string Model, string Image), ImageFeatures> _features;
    private readonly LruCache<string, PcaGrids> _pca;
    private readonly LruCache<string, RenderedMap> _png;
    private int _modelLoads, _encoderRuns;

    public MapRenderer(MapModelLoader loader, MapImageResolver? images = null, MapRendererOptions? options = null)
    {
        _loader = loader;
        _images = images;
        Options = options ?? new MapRendererOptions();
        _models = new(Options.Models, long.MaxValue, _ => 0, model => model.Dispose());
        _features = new(int.MaxValue, Options.FeatureBytes, f => f.Bytes);
        _pca = new(Options.PcaSets, long.MaxValue, _ => 0);
        _png = new(int.MaxValue, Options.PngBytes, m => m.Png.Length + 256);
    }

    public MapRendererOptions Options { get; }
    /// <summary>How many times a model was built and loaded from a checkpoint.</summary>
    public int ModelLoads => _modelLoads;
    /// <summary>How many batches went through an encoder.</summary>
    public int EncoderRuns => _encoderRuns;
    public (int Hits, int Misses, int Count, long Bytes) PngCache => (_png.Hits, _png.Misses, _png.Count, _png.Bytes);

    /// <summary>The checkpoint's grid, heads, the run's checkpoints and <paramref name="count"/> sampled dataset images.</summary>
    public Task<MapRunInfo> DescribeAsync(string runDirectory, string? checkpoint, int count, int seed, CancellationToken cancellationToken = default)
    {
        if (count < 1 || count > 1000) throw MapException.Invalid($"count: must be between 1 and 1000, got {count}.");
        var (path, key) = ModelKey(runDirectory, checkpoint);
        return _torch.Run(() =>
        {
            var model = Model(runDirectory, path, key);
            return new MapRunInfo(Path.GetFileName(path), MapModel.CheckpointNames(runDirectory), model.GridHeight, model.GridWidth,
                model.ImageSize, model.Heads, model.Dataset.Channels, MapModel.Sample(model.Dataset, count, seed));
        }, cancellationToken);
    }

    /// <summary>A PNG of the query; cached per (checkpoint, image, settings).</summary>
    public async Task<RenderedMap> RenderAsync(MapQuery query, CancellationToken cancellationToken = default)
    {
        var (path, modelKey) = ModelKey(query.RunDirectory, query.Checkpoint);
        ValidateSettings(query);
        string key = PngKey(modelKey, query);
        if (_png.TryGet(key, out var cached)) return cached;
        var rendered = await _torch.Run(() => Pixels(query, path, modelKey), cancellationToken).ConfigureAwait(false);
        byte[] png = MapImaging.EncodePng(rendered.Pixels); // off the torch thread: encodes run in parallel
        var map = new RenderedMap(png, rendered.Pixels.Width, rendered.Pixels.Height, rendered.GridHeight, rendered.GridWidth, rendered.Checkpoint);
        _png.Add(key, map);
        return map;
    }

    /// <summary>The query's picture as RGB pixels (not cached: for contact sheets and files).</summary>
    public Task<RenderedPixels> RenderPixelsAsync(MapQuery query, CancellationToken cancellationToken = default)
    {
        var (path, modelKey) = ModelKey(query.RunDirectory, query.Checkpoint);
        ValidateSettings(query);
        return _torch.Run(() => Pixels(query, path, modelKey), cancellationToken);
    }

    /// <summary>Drops every cache (models are disposed on the torch thread).</summary>
    public Task ClearAsync() => _torch.Run(() =>
    {
        _png.Clear();
        _pca.Clear();
        _features.Clear();
        _models.Clear();
        return true;
    });

    // ---- Keys and validation (any thread) ----

    /// <summary>The checkpoint folder and a key that changes when the folder is rewritten (a resumed run saves again).</summary>
    private (string Path, string Key) ModelKey(string runDirectory, string? checkpoint)
    {
        if (!Directory.Exists(runDirectory)) throw MapException.Missing($"run folder {runDirectory} not found.");
        string path = Options.AllowCheckpointFolders && checkpoint is not null && Path.IsPathRooted(checkpoint) && File.Exists(Path.Combine(checkpoint, "state.json"))
            ? checkpoint
            : MapModel.ResolveCheckpoint(runDirectory, checkpoint);
        long written = File.GetLastWriteTimeUtc(Path.Combine(path, "state.json")).Ticks;
        return (path, $"{path}|{written}");
    }

    private void ValidateSettings(MapQuery query)
    {
        var s = query.Settings;
        if (string.IsNullOrWhiteSpace(query.Image)) throw MapException.Invalid("image: required, e.g. image=test-0 (an id from the images list) or an uploaded image's id.");
        if (s.Size is { } size && (size < Options.MinSize || size > Options.MaxSize))
            throw MapException.Invalid($"size: must be between {Options.MinSize} and {Options.MaxSize} pixels, got {size}.");
        if (query.View == MapView.Pca)
        {
            if (s.Sign is not (1 or -1)) throw MapException.Invalid($"sign: must be 1 or -1, got {s.Sign}.");
            if (!(s.Threshold >= 0 && s.Threshold < 1)) throw MapException.Invalid($"threshold: must be in [0, 1), got {s.Threshold.ToString(CultureInfo.InvariantCulture)}.");
            if (Set(query).Count > Options.MaxSetSize) throw MapException.Invalid($"set: at most {Options.MaxSetSize} images, got {Set(query).Count}.");
        }
        if (query.View == MapView.Attention)
        {
            if (s.Head is < 0) throw MapException.Invalid($"head: must be a head index from 0, or absent for the mean over heads; got {s.Head}.");
            if (s.FromToken is < 0) throw MapException.Invalid($"from: must be a token index from 0 (row-major in the grid), or absent for the attention received; got {s.FromToken}.");
        }
    }

    /// <summary>The PCA set: the image and the given set, without duplicates, in ordinal order (so any order is the same set).</summary>
    private static IReadOnlyList<string> Set(MapQuery query) =>
        (query.ImageSet ?? []).Append(query.Image).Select(i => i.Trim()).Where(i => i.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    private static string PngKey(string modelKey, MapQuery query)
    {
        var s = query.Settings;
        string upsample = s.Upsample.ToString();
        string detail = query.View switch
        {
            MapView.Original => "",
            MapView.Pca => string.Create(CultureInfo.InvariantCulture, $"set={string.Join(',', Set(query))}|t={s.Threshold:R}|s={s.Sign}|fg={s.ForegroundOnly}|{upsample}"),
            _ => $"head={s.Head?.ToString(CultureInfo.InvariantCulture) ?? "mean"}|from={s.FromToken?.ToString(CultureInfo.InvariantCulture) ?? "received"}|{upsample}",
        };
        return $"{modelKey}|{query.View}|{query.Image}|size={s.Size?.ToString(CultureInfo.InvariantCulture) ?? "model"}|{detail}";
    }

    // ---- On the torch thread ----

    private MapModel Model(string runDirectory, string checkpoint, string key)
    {
        if (_models.TryGet(key, out var model)) return model;
        if (Options.Threads > 0) set_num_threads(Options.Threads); // building a model is many small ops too
        model = _loader(runDirectory, checkpoint);
        if (Options.Threads > 0) set_num_threads(Options.Threads); // again: building a run applies trainer.threads
        Interlocked.Increment(ref _modelLoads);
        _models.Add(key, model);
        return model;
    }

    private RenderedPixels Pixels(MapQuery query, string checkpoint, string modelKey)
    {
        var model = Model(query.RunDirectory, checkpoint, modelKey);
        var s = query.Settings;
        int size = s.Size ?? model.ImageSize;
        string name = Path.GetFileName(checkpoint);
        if (query.View == MapView.Attention)
        {
            if (s.Head is { } head && head >= model.Heads)
                throw MapException.Invalid($"head: this model has {model.Heads} heads (0 to {model.Heads - 1}); got {head}. Leave it out for the mean over heads.");
            if (s.FromToken is { } from && from >= model.Tokens)
                throw MapException.Invalid($"from: must be between 0 and {model.Tokens - 1} (the grid is {model.GridHeight}x{model.GridWidth}, row-major), got {from}.");
        }
        if (query.View == MapView.Original) // no encoder needed (thumbnails): preprocess only, unless the image's features are cached
        {
            var original = _features.TryGet((modelKey, query.Image), out var known)
                ? new RgbPixels(known.Original, model.ImageSize, model.ImageSize)
                : Preprocessed(model, query.Image);
            return new RenderedPixels(MapImaging.Resize(original, size, size), model.GridHeight, model.GridWidth, name, null);
        }
        var images = query.View == MapView.Pca ? Set(query) : [query.Image];
        var features = Features(model, modelKey, images);
        var mine = features[images.ToList().IndexOf(query.Image)];

        using var scope = NewDisposeScope();
        switch (query.View)
        {
            case MapView.Pca:
                var grids = PcaGridsFor(model, modelKey, images, features, s);
                var grid = tensor(grids.Maps[query.Image], new long[] { 1, model.GridHeight, model.GridWidth, 3 });
                return new RenderedPixels(ToPixels(PcaMaps.Upsample(grid, size, size, s.Upsample)), model.GridHeight, model.GridWidth, name, grids.Summary);
            default:
                long p = model.Tokens;
                var weights = tensor(mine.Attention, new long[] { 1, mine.Attention.Length / (p * p), p, p });
                var attention = new AttentionMapResult(weights, model.GridHeight, model.GridWidth);
                var values = s.FromToken is { } token ? attention.From(token, s.Head) : attention.Received(s.Head);
                var heat = PcaMaps.Upsample(AttentionMaps.HeatMap(values), size, size, s.Upsample);
                return new RenderedPixels(ToPixels(heat), model.GridHeight, model.GridWidth, name, null);
        }
    }

    private static RgbPixels ToPixels(Tensor rgb) => // (1, H, W, 3) uint8
        new(rgb.contiguous().data<byte>().ToArray(), (int)rgb.shape[2], (int)rgb.shape[1]);

    /// <summary>Encoder outputs of the images, from the cache or in one batch through the encoder for those missing.</summary>
    private ImageFeatures[] Features(MapModel model, string modelKey, IReadOnlyList<string> ids)
    {
        var result = new ImageFeatures[ids.Count];
        var missing = new List<int>();
        for (int i = 0; i < ids.Count; i++)
            if (!_features.TryGet((modelKey, ids[i]), out result[i])) missing.Add(i);
        if (missing.Count == 0) return result;

        var dataset = model.Dataset;
        var samples = missing.Select(i => Read(model, ids[i])).ToArray();
        using var scope = NewDisposeScope();
        var preprocess = new EvalPreprocessor(model.ImageSize, dataset.Mean, dataset.Std);
        var batch = preprocess.Batch(new MemorySource(samples), 0, samples.Length, dataset.Channels);
        Tensor tokens, attention;
        using (no_grad())
        {
            var x = batch.to(model.Device);
            // The features eval probes: the last layer's patch tokens after a non-affine LayerNorm.
            tokens = F.layer_norm(model.Encoder.forward(x, null), new long[] { model.Encoder.EmbedDim }).to(ScalarType.Float32).to(CPU).contiguous();
            attention = model.Encoder.LastBlockAttention(x).to(ScalarType.Float32).to(CPU).contiguous();
        }
        Interlocked.Increment(ref _encoderRuns);
        var originals = Originals(batch, dataset.Mean, dataset.Std);
        for (int j = 0; j < missing.Count; j++)
        {
            var features = new ImageFeatures(tokens[j].data<float>().ToArray(), attention[j].data<float>().ToArray(), originals[j].data<byte>().ToArray());
            result[missing[j]] = features;
            _features.Add((modelKey, ids[missing[j]]), features);
        }
        return result;
    }

    private RgbPixels Preprocessed(MapModel model, string id)
    {
        using var scope = NewDisposeScope();
        var dataset = model.Dataset;
        var batch = new EvalPreprocessor(model.ImageSize, dataset.Mean, dataset.Std).Batch(new MemorySource([Read(model, id)]), 0, 1, dataset.Channels);
        return new RgbPixels(Originals(batch, dataset.Mean, dataset.Std).data<byte>().ToArray(), model.ImageSize, model.ImageSize);
    }

    private ImageSample Read(MapModel model, string id)
    {
        var dataset = model.Dataset;
        var sample = MapModel.ReadDatasetImage(dataset, id) ?? _images?.Invoke(id, dataset.Channels);
        return sample ?? throw MapException.Missing(
            $"image: no image '{id}' in this run. Dataset images are {MapModel.DescribeIds(dataset)}" +
            (_images is null ? "." : "; uploaded images are named upload-<hash> (POST .../maps/uploads returns the id)."));
    }

    private PcaGrids PcaGridsFor(MapModel model, string modelKey, IReadOnlyList<string> ids, ImageFeatures[] features, MapSettings s)
    {
        string key = string.Create(CultureInfo.InvariantCulture, $"{modelKey}|{string.Join(',', ids)}|{s.Threshold:R}|{s.Sign}|{s.ForegroundOnly}");
        if (_pca.TryGet(key, out var cached)) return cached;
        using var scope = NewDisposeScope();
        long t = model.Tokens, d = features[0].Tokens.Length / t;
        var tokens = tensor(features.SelectMany(f => f.Tokens).ToArray(), new long[] { features.Length, t, d });
        int h = model.GridHeight, w = model.GridWidth;
        Tensor maps;
        PcaSummary summary;
        try
        {
            using var pca = PcaMaps.Compute(tokens, h, w, new PcaMapOptions(s.Threshold, s.Sign, ColourBackground: !s.ForegroundOnly));
            maps = pca.Maps.clone();
            summary = new PcaSummary(pca.ForegroundMask.sum().item<long>(), pca.ForegroundMask.numel(), pca.Foreground.ExplainedVarianceRatio.data<double>().ToArray());
        }
        catch (InvalidOperationException) // PcaMaps: fewer than 2 foreground tokens; nothing is foreground, so all is background
        {
            maps = zeros(new long[] { features.Length, h, w, 3 }, ScalarType.Byte);
            summary = new PcaSummary(0, features.Length * t, []);
        }
        var grids = new PcaGrids(ids.Select((id, i) => (id, maps[i].contiguous().data<byte>().ToArray())).ToDictionary(x => x.id, x => x.Item2, StringComparer.Ordinal), summary);
        _pca.Add(key, grids);
        return grids;
    }

    /// <summary>(N, C, S, S) normalised → (N, S, S, 3) uint8 as the encoder saw them (grayscale repeated to RGB).</summary>
    public static Tensor Originals(Tensor batch, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        var m = tensor(mean.ToArray()).view(1, -1, 1, 1);
        var s = tensor(std.ToArray()).view(1, -1, 1, 1);
        var pixels = ((batch * s + m).clamp(0, 1) * 255).round().to(ScalarType.Byte).permute(0, 2, 3, 1);
        return pixels.shape[3] == 1 ? pixels.expand(-1, -1, -1, 3).contiguous() : pixels.contiguous();
    }

    // The DI container may dispose one instance twice (registered as itself and as its interface): only the first counts.
    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try { _ = ClearAsync().Wait(TimeSpan.FromSeconds(30)); }
        catch (AggregateException) { } // a model that fails to dispose must not stop the shutdown
        catch (ObjectDisposedException) { }
        _torch.Dispose();
    }

    /// <summary>One image's encoder outputs: tokens (T·D), last-block attention (H·P·P) and the preprocessed image (S·S·3).</summary>
    private sealed record ImageFeatures(float[] Tokens, float[] Attention, byte[] Original)
    {
        public long Bytes => Tokens.Length * 4L + Attention.Length * 4L + Original.Length + 64;
    }

    private sealed record PcaGrids(Dictionary<string, byte[]> Maps, PcaSummary Summary);

    private sealed class MemorySource(ImageSample[] samples) : IImageSource
    {
        public int Count => samples.Length;
        public int LabelAt(int index) => samples[index].Label;
        public ImageSample Read(int index) => samples[index];
    }
}
