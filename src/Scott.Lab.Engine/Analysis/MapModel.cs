using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Models;
using Scott.Lab.Engine.Training;
using Scott.Lab.Plugins;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Analysis;

/// <summary>A request for maps that cannot be served: an unknown run, checkpoint or image (<see cref="NotFound"/>), or bad settings.</summary>
public sealed class MapException(string message, bool notFound) : Exception(message)
{
    public bool NotFound { get; } = notFound;
    public static MapException Missing(string message) => new(message, notFound: true);
    public static MapException Invalid(string message) => new(message, notFound: false);
}

/// <summary>One image of a run's dataset, as the maps name it: <c>&lt;split&gt;-&lt;index&gt;</c>.</summary>
public sealed record MapImageInfo(string Id, int Label, string? ClassName);

/// <summary>
/// A run's frozen context encoder (no mask, eval mode, a checkpoint loaded) with what it needs to preprocess
/// images as eval does: the dataset (channels, normalisation, the images by id), the image size and the device.
/// Owns the assembled run; create, use and dispose it on one thread (see <see cref="TorchThread"/>).
/// </summary>
public sealed class MapModel : IDisposable
{
    private readonly IDisposable? _owner;

    public MapModel(VisionTransformer encoder, IImageDataset dataset, int imageSize, int heads, Device device, string checkpoint, IDisposable? owner = null)
    {
        Encoder = encoder;
        Dataset = dataset;
        ImageSize = imageSize;
        Heads = heads;
        Device = device;
        Checkpoint = checkpoint;
        _owner = owner;
        encoder.eval();
    }

    public VisionTransformer Encoder { get; }
    public IImageDataset Dataset { get; }
    public int ImageSize { get; }
    public int Heads { get; }
    public Device Device { get; }
    /// <summary>The checkpoint folder that was loaded.</summary>
    public string Checkpoint { get; }
    public int GridHeight => Encoder.GridHeight;
    public int GridWidth => Encoder.GridWidth;
    public int Tokens => Encoder.NumTokens;

    /// <summary>Loads the checkpoint into an assembled run and keeps its context encoder; takes ownership of <paramref name="run"/>.</summary>
    public static MapModel FromRun(AssembledRun run, string checkpoint)
    {
        try
        {
            Checkpoints.Load(checkpoint, run.Objective, null);
            if (run.Objective.Encoder is not VisionTransformer encoder)
                throw new InvalidOperationException($"maps need a VisionTransformer encoder; this run has {run.Objective.Encoder.GetType().Name}.");
            return new MapModel(encoder, run.Dataset, run.Spec.Model.ImageSize, run.Spec.Model.Heads, run.Device, checkpoint, run);
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Config overrides for rendering maps in a shared process (the portal, the benchmark): the run's device when it
    /// exists here (else the CPU), and libtorch's threads left to the renderer rather than to trainer.threads.
    /// </summary>
    public static readonly IReadOnlyList<string> SharedProcessOverrides = ["trainer.device=auto", "trainer.threads=0"];

    /// <summary>
    /// Builds the run that <paramref name="spec"/> (a run's stored spec) describes with the catalog's plugins, with
    /// <paramref name="overrides"/> (<c>key=value</c>) applied, then loads <paramref name="checkpoint"/>.
    /// </summary>
    public static MapModel Load(JsonObject spec, string checkpoint, PluginCatalog catalog, IEnumerable<string>? overrides = null)
    {
        var tree = (JsonObject)spec.DeepClone();
        foreach (var assignment in overrides ?? []) ConfigLoader.ApplyOverride(tree, assignment);
        var run = RunBuilder.Build(RunSpecBinder.BindOrThrow(tree, catalog), catalog);
        return FromRun(run, checkpoint);
    }

    /// <summary>The run's checkpoint folder names (<c>step-00000100</c>, ...), oldest first; only complete ones.</summary>
    public static IReadOnlyList<string> CheckpointNames(string runDirectory)
    {
        string folder = new Checkpoints(runDirectory).Folder;
        return Directory.Exists(folder)
            ? Directory.EnumerateDirectories(folder, "step-*")
                .Where(d => !d.EndsWith(".tmp", StringComparison.Ordinal) && File.Exists(Path.Combine(d, "state.json")))
                .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];
    }

    /// <summary>
    /// A checkpoint of the run by folder name (<c>step-00000060</c>) or step (<c>60</c>); null = the latest. Only the
    /// run's own checkpoints folder is searched (a name is never a path). Throws a not-found <see cref="MapException"/>.
    /// </summary>
    public static string ResolveCheckpoint(string runDirectory, string? nameOrStep)
    {
        var names = CheckpointNames(runDirectory);
        string folder = new Checkpoints(runDirectory).Folder;
        if (names.Count == 0) throw MapException.Missing($"checkpoint: the run has no checkpoint yet ({folder} is empty); train it first.");
        if (string.IsNullOrWhiteSpace(nameOrStep)) return Path.Combine(folder, names[^1]);
        string wanted = long.TryParse(nameOrStep, out long step) && step >= 0 ? $"step-{step:D8}" : nameOrStep.Trim();
        return names.Contains(wanted, StringComparer.Ordinal)
            ? Path.Combine(folder, wanted)
            : throw MapException.Missing($"checkpoint: no checkpoint '{nameOrStep}' in this run. Available: {string.Join(", ", names)} (a folder name or its step).");
    }

    /// <summary>
    /// <paramref name="count"/> images of the dataset's test split (the last split when none is a test split), drawn
    /// with <paramref name="seed"/>: the same seed draws the same images. Fewer when the split is smaller.
    /// </summary>
    public static IReadOnlyList<MapImageInfo> Sample(IImageDataset dataset, int count, int seed)
    {
        var split = dataset.Splits.FirstOrDefault(s => s.Role == SplitRole.Test) ?? dataset.Splits[^1];
        var order = Enumerable.Range(0, split.Images.Count).ToArray();
        new Random(seed).Shuffle(order);
        return order.Take(Math.Max(0, count)).Select(i =>
        {
            int label = split.Images.LabelAt(i);
            string? name = label >= 0 && label < dataset.ClassNames.Count ? dataset.ClassNames[label] : null;
            return new MapImageInfo($"{split.Name}-{i}", label, name);
        }).ToList();
    }

    /// <summary>The dataset image named <c>&lt;split&gt;-&lt;index&gt;</c>, or null when the id is not of that form; a not-found <see cref="MapException"/> when the split or index does not exist.</summary>
    public static ImageSample? ReadDatasetImage(IImageDataset dataset, string id)
    {
        int dash = id.LastIndexOf('-');
        if (dash <= 0 || !int.TryParse(id.AsSpan(dash + 1), System.Globalization.NumberStyles.None, null, out int index)) return null;
        string splitName = id[..dash];
        var split = dataset.Splits.FirstOrDefault(s => s.Name == splitName);
        if (split is null) return null;
        if (index >= split.Images.Count)
            throw MapException.Missing($"image: '{id}' is out of range: the {split.Name} split has images {split.Name}-0 to {split.Name}-{split.Images.Count - 1}.");
        return split.Images.Read(index);
    }

    /// <summary>Dataset image ids this dataset understands, for error messages.</summary>
    public static string DescribeIds(IImageDataset dataset) =>
        string.Join(", ", dataset.Splits.Select(s => $"{s.Name}-0 to {s.Name}-{s.Images.Count - 1}"));

    public void Dispose()
    {
        if (_owner is not null) _owner.Dispose();
        else Encoder.Dispose();
    }
}
