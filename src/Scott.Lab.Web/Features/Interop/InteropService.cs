using System.IO.Compression;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Scott.Lab.Cli.Recording;
using Scott.Lab.Engine.Analysis;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Evaluation;
using Scott.Lab.Engine.Interop;
using Scott.Lab.Plugins;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Plugins;
using Scott.Lab.Web.Hosting;
using TorchSharp;

namespace Scott.Lab.Web.Features.Interop;

/// <summary>A portal import or embeddings request that cannot be served: the message says why (shown as is).</summary>
public sealed class InteropRequestException(string message, bool notFound = false) : Exception(message)
{
    public bool NotFound { get; } = notFound;
    /// <summary>`scott-lab export --names reference` said (exit code 3) that the reference's layout cannot express the model.</summary>
    public bool NoReferenceLayout { get; init; }
}

/// <summary>
/// The portal's side of interop: <b>Import weights</b> (uploads kept in <c>DATA/imports/&lt;time&gt;/</c>, then
/// <see cref="WeightsImporter"/>, the CLI's importer) and a run's <b>Embeddings</b> download (what
/// <c>scott-lab embed</c> writes, zipped; computed once per checkpoint, split and limit and kept in <c>RUN/embeddings/</c>).
/// One torch job at a time.
/// </summary>
public sealed class InteropService(PortalPaths paths, PortalPlugins plugins, RunStore store, IOptions<PortalOptions> options)
{
    private readonly SemaphoreSlim _torch = new(1, 1);

    public const int DefaultEmbeddingLimit = 1000;
    public long MaxWeightsBytes => Math.Max(1, options.Value.MaxWeightsUploadMegabytes) * 1024L * 1024L;
    public string ImportsDir => Path.Combine(paths.DataDir, "imports");

    /// <summary>Saves the uploads and imports them; every failure is an <see cref="InteropRequestException"/> and leaves the store as it was.</summary>
    public async Task<ImportedRun> ImportAsync(string weightsName, Stream weights, string? sidecarJson, string? configYaml, string? name, CancellationToken cancel = default)
    {
        string extension = Path.GetExtension(weightsName).ToLowerInvariant();
        if (extension is not (".safetensors" or ".pt" or ".pth" or ".bin"))
            throw new InteropRequestException($"'{weightsName}': expected a .safetensors file or a torch.save'd state dict (.pt, .pth, .bin).");
        if (sidecarJson is null && string.IsNullOrWhiteSpace(configYaml))
            throw new InteropRequestException("Give the model's configuration: the sidecar JSON that export writes (or one with the reference's get_model arguments under \"model\"), or a run config (YAML).");
        string folder = Path.Combine(ImportsDir, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(folder);
        string stem = string.Concat(Path.GetFileNameWithoutExtension(weightsName).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        string weightsFile = Path.Combine(folder, (stem.Length == 0 ? "weights" : stem) + extension);
        await using (var file = File.Create(weightsFile))
            await weights.CopyToAsync(file, cancel);
        string? sidecarFile = null, configFile = null;
        if (sidecarJson is not null) await File.WriteAllTextAsync(sidecarFile = Path.Combine(folder, "sidecar.json"), sidecarJson, cancel);
        if (!string.IsNullOrWhiteSpace(configYaml)) await File.WriteAllTextAsync(configFile = Path.Combine(folder, "config.yaml"), configYaml, cancel);

        await _torch.WaitAsync(cancel);
        try
        {
            return await Task.Run(() =>
            {
                int threads = torch.get_num_threads();
                try
                {
                    var request = new ImportRequest(weightsFile, configFile, sidecarFile, string.IsNullOrWhiteSpace(name) ? stem : name);
                    return WeightsImporter.Import(request, plugins.Catalog, paths.DataDir, RunInfo.GitCommit(), RunInfo.Libraries(), store);
                }
                catch (Exception e) when (e is ConfigException or PluginException or Abstractions.Data.DatasetException or InteropException or WeightsFileException)
                {
                    Directory.Delete(folder, true);
                    throw new InteropRequestException(e.Message.Replace(folder + Path.DirectorySeparatorChar, ""));
                }
                finally
                {
                    torch.set_num_threads(threads); // a run config's trainer.threads must not change the portal's
                }
            }, cancel);
        }
        finally
        {
            _torch.Release();
        }
    }

    /// <summary>A zip of embed's files for the run's split (the first <paramref name="limit"/> images) at a checkpoint (null: the latest).</summary>
    public async Task<(string ZipFile, string DownloadName)> EmbeddingsAsync(string runId, string split, int limit, bool tokens, string? checkpoint, CancellationToken cancel = default)
    {
        var run = store.Get(runId) ?? throw new InteropRequestException($"No run '{runId}'.", notFound: true);
        if (limit < 1) throw new InteropRequestException($"limit: must be at least 1, got {limit}.");
        if (split is not { Length: > 0 and <= 64 } || !split.All(c => char.IsLetterOrDigit(c) || c is '-' or '_'))
            throw new InteropRequestException($"split: '{split}' is not a split name (train, val, test, ...).");
        string folderName;
        try { folderName = Path.GetFileName(MapModel.ResolveCheckpoint(run.Directory, checkpoint)); }
        catch (MapException e) { throw new InteropRequestException(e.Message, e.NotFound); }
        string outDir = Path.Combine(run.Directory, "embeddings", $"{folderName}-{split}-{limit}{(tokens ? "-tokens" : "")}");
        string zip = outDir + ".zip";
        string download = $"{run.Name}-{split}-{folderName}-embeddings.zip".Replace(' ', '_');
        if (File.Exists(zip)) return (zip, download);

        await _torch.WaitAsync(cancel);
        try
        {
            if (File.Exists(zip)) return (zip, download);
            await Task.Run(() =>
            {
                using var model = LoadModel(run, checkpoint);
                DatasetSplitAndImages(model, split, limit, out var source, out var described);
                var preprocess = new EvalPreprocessor(model.ImageSize, model.Dataset.Mean, model.Dataset.Std);
                using var features = EmbeddingFiles.Compute(model.Encoder, source, model.Dataset.Channels, preprocess, model.Device, tokens);
                var info = new JsonObject
                {
                    ["run"] = run.Id,
                    ["checkpoint"] = model.Checkpoint,
                    ["source"] = $"split {split}, first {described.Count} images",
                    ["embed_dim"] = model.Encoder.EmbedDim,
                    ["grid"] = new JsonArray(model.GridHeight, model.GridWidth),
                    ["preprocessing"] = InteropSidecar.Preprocessing(model.Dataset.Channels, model.ImageSize, model.Dataset.Mean, model.Dataset.Std),
                };
                var files = EmbeddingFiles.Write(outDir, features, described, info);
                string temp = zip + ".tmp";
                using (var archive = ZipFile.Open(temp, ZipArchiveMode.Create))
                    foreach (var file in files) archive.CreateEntryFromFile(file, Path.GetFileName(file));
                File.Move(temp, zip, overwrite: true);
            }, cancel);
            return (zip, download);
        }
        finally
        {
            _torch.Release();
        }
    }

    private MapModel LoadModel(RunRecord run, string? checkpoint)
    {
        try
        {
            var spec = run.Spec ?? throw MapException.Missing($"run '{run.Id}' has no spec in the store.");
            return MapModel.Load(spec, MapModel.ResolveCheckpoint(run.Directory, checkpoint), plugins.Catalog, MapModel.SharedProcessOverrides);
        }
        catch (Exception e) when (e is MapException or ConfigException or PluginException or Abstractions.Data.DatasetException)
        {
            throw new InteropRequestException($"Cannot load run '{run.Id}': {e.Message}", e is MapException { NotFound: true });
        }
    }

    private static void DatasetSplitAndImages(MapModel model, string split, int limit, out Abstractions.Data.IImageSource source, out List<EmbeddedImage> described)
    {
        try
        {
            var chosen = EmbeddingFiles.FindSplit(model.Dataset, split);
            (source, described) = EmbeddingFiles.Take(model.Dataset, chosen, limit);
        }
        catch (ArgumentException e) { throw new InteropRequestException($"split: {e.Message}"); }
        if (source.Count == 0) throw new InteropRequestException($"split: '{split}' has no images.");
    }
}
