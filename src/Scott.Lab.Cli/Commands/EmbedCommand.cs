using System.CommandLine;
using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Engine.Analysis;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Evaluation;
using Scott.Lab.Engine.Interop;
using Scott.Lab.Engine.Training;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab embed --run DIR [--checkpoint C] (--split train|val|test [--limit N] | --images a.png,b.jpg) --out DIR [--tokens]</c>:
/// embeddings of a run's frozen context encoder with eval's preprocessing and features (see <see cref="EmbeddingFiles"/>).
/// </summary>
public static class EmbedCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var run = new Option<string>("--run") { Description = "Run directory (made by `scott-lab train` or `import`).", Required = true };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint folder, or a step number (default: the run's latest)." };
        var split = new Option<string?>("--split") { Description = "train | val | test (or a split's name): embed the dataset's images of that split." };
        var limit = new Option<int?>("--limit") { Description = "Only the first N images of the split." };
        var images = new Option<string?>("--images") { Description = "Comma-separated image files (JPEG, PNG, ...) instead of a split." };
        var output = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var tokens = new Option<bool>("--tokens") { Description = "Also write every patch token: tokens [N, T, D]." };
        var batch = new Option<int>("--batch-size") { Description = "Images per batch.", DefaultValueFactory = _ => 64 };
        var device = new Option<string?>("--device") { Description = "auto | cpu | cuda (default: the run's)." };
        var command = new Command("embed", "Embeddings of images by a run's frozen encoder (safetensors + TensorBoard projector TSVs).")
            { run, checkpoint, split, limit, images, output, tokens, batch, device };
        command.SetAction(parsed =>
        {
            string dir = parsed.GetValue(run)!;
            if (!Directory.Exists(dir)) throw new ConfigException($"--run: {Path.GetFullPath(dir)} not found.");
            var directory = new RunDirectory(dir);
            string? splitName = parsed.GetValue(split), files = parsed.GetValue(images);
            if ((splitName is null) == (files is null)) throw new ConfigException("embed: give either --split or --images.");
            if (parsed.GetValue(limit) is <= 0) throw new ConfigException("--limit: must be positive.");
            if (parsed.GetValue(limit) is not null && files is not null) throw new ConfigException("--limit: only applies to --split.");
            if (parsed.GetValue(batch) < 1) throw new ConfigException("--batch-size: must be at least 1.");
            string used = Path.GetFullPath(EvalCommand.ResolveCheckpoint(directory, parsed.GetValue(checkpoint)));

            var overrides = new List<string>();
            if (parsed.GetValue(device) is { } d) overrides.Add($"trainer.device={d}");
            using var assembled = CliApp.BuildRun(parsed, CliApp.SpecOf(parsed, directory.Path, overrides));
            var state = Checkpoints.Load(used, assembled.Objective, null);
            var dataset = assembled.Dataset;
            int channels = dataset.Channels, size = assembled.Spec.Model.ImageSize;

            IImageSource source;
            List<EmbeddedImage> described;
            if (splitName is not null)
            {
                DatasetSplit chosen;
                try { chosen = EmbeddingFiles.FindSplit(dataset, splitName); }
                catch (ArgumentException e) { throw new ConfigException($"--split: {e.Message}"); }
                (source, described) = EmbeddingFiles.Take(dataset, chosen, parsed.GetValue(limit));
            }
            else
            {
                var paths = files!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (paths.Length == 0) throw new ConfigException("--images: no file given.");
                var decoded = paths.Select(p => Decode(p, channels)).ToList();
                source = new InMemoryImages(decoded);
                described = paths.Select(p => new EmbeddedImage(Path.GetFileName(p), -1, null)).ToList();
            }
            if (source.Count == 0) throw new ConfigException($"--split: {splitName} has no images.");

            stderr.WriteLine($"embed {used}: {source.Count} image(s), {size} px, {channels} channel(s){(parsed.GetValue(tokens) ? ", with tokens" : "")}");
            var progress = new EvalCommand.StageProgress(stderr);
            var preprocess = new EvalPreprocessor(size, dataset.Mean, dataset.Std);
            using var features = EmbeddingFiles.Compute(assembled.Objective.Encoder, source, channels, preprocess, assembled.Device,
                parsed.GetValue(tokens), parsed.GetValue(batch), progress.Show);
            progress.Finish();
            var info = new JsonObject
            {
                ["run"] = directory.Path,
                ["checkpoint"] = used,
                ["step"] = state.Step,
                ["source"] = splitName is not null ? $"split {splitName}" : "files",
                ["embed_dim"] = assembled.Objective.Encoder.EmbedDim,
                ["grid"] = new JsonArray(assembled.Objective.Encoder.GridHeight, assembled.Objective.Encoder.GridWidth),
                ["preprocessing"] = InteropSidecar.Preprocessing(channels, size, dataset.Mean, dataset.Std),
            };
            string outDir = Path.GetFullPath(parsed.GetValue(output)!);
            EmbeddingFiles.Write(outDir, features, described, info);
            stdout.WriteLine($"embeddings: {outDir}/ ({source.Count} x {assembled.Objective.Encoder.EmbedDim}" +
                             (features.Tokens is { } t ? $", tokens [{string.Join(", ", t.shape)}]" : "") +
                             $"); open {EmbeddingFiles.TensorsName} and {EmbeddingFiles.MetadataName} in the TensorBoard Embedding Projector");
            return 0;
        });
        return command;
    }

    private static ImageSample Decode(string path, int channels)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"--images: cannot read image {path}: {e.Message}", e);
        }
        try { return MapImaging.Decode(bytes, channels, path); }
        catch (DatasetException e) { throw new DatasetException("--images: " + e.Message, e); }
    }
}
