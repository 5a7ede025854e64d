using System.CommandLine;
using System.Runtime.InteropServices;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Engine.Analysis;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Evaluation;
using Scott.Lab.Engine.Models;
using Scott.Lab.Engine.Runs;
using Scott.Lab.Engine.Training;
using SkiaSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab viz --run DIR [--checkpoint C] (--images a.jpg,b.jpg | --sample N) --out DIR [--kind pca|attention|both]
/// [--threshold 0.5] [--sign 1|-1] [--seed S] [--upsample nearest|bilinear] [--colour-background] [--from-token I]</c>:
/// PCA and attention maps of a run's frozen context encoder (no mask). Writes
/// OUT/&lt;k&gt;-&lt;name&gt;/{original,pca,attention-mean,attention-head&lt;h&gt;[,attention-from&lt;i&gt;]}.png and
/// OUT/contact-sheet.png (rows = images; columns = original | pca | attention mean).
/// Images are preprocessed as eval does (short side resized to model.image_size, centre crop, the run's channels).
/// </summary>
public static class VizCommand
{
    private const int Gap = 2;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var run = new Option<string>("--run") { Description = "Run directory (made by `scott-lab train`).", Required = true };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint folder, or a step number (default: the run's latest)." };
        var images = new Option<string?>("--images") { Description = "Comma-separated image files (JPEG, PNG, ...)." };
        var sample = new Option<int?>("--sample") { Description = "Take this many images from the dataset's test split (seeded)." };
        var output = new Option<string>("--out") { Description = "Output folder.", Required = true };
        var kind = new Option<string>("--kind") { Description = "pca | attention | both.", DefaultValueFactory = _ => "both" };
        var threshold = new Option<double>("--threshold") { Description = "Foreground: min-max scaled sign·pc1 above this (in [0, 1)).", DefaultValueFactory = _ => 0.5 };
        var sign = new Option<int>("--sign") { Description = "1 or -1: which end of the first principal component is foreground.", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "Seed of --sample's draw.", DefaultValueFactory = _ => 0 };
        var upsample = new Option<string>("--upsample") { Description = "nearest | bilinear: how token maps are enlarged to the image size.", DefaultValueFactory = _ => "nearest" };
        var colourAll = new Option<bool>("--colour-background") { Description = "Colour every token in the PCA map (no black background)." };
        var fromToken = new Option<int?>("--from-token") { Description = "Also write attention-from<i>.png: where patch i (row-major in the token grid) looks, mean over heads." };
        var device = new Option<string?>("--device") { Description = "auto | cpu | cuda (default: the run's)." };
        var command = new Command("viz", "PCA and attention maps of a run's frozen encoder (PNGs and a contact sheet).")
            { run, checkpoint, images, sample, output, kind, threshold, sign, seed, upsample, colourAll, fromToken, device };
        command.SetAction(parsed =>
        {
            string dir = parsed.GetValue(run)!;
            if (!Directory.Exists(dir)) throw new ConfigException($"--run: {Path.GetFullPath(dir)} not found.");
            var directory = new RunDirectory(dir);
            if (!File.Exists(directory.ConfigFile)) throw new ConfigException($"--run: {directory.ConfigFile} not found; is {dir} a run directory made by `scott-lab train`?");
            string what = parsed.GetValue(kind)!;
            if (what is not ("pca" or "attention" or "both")) throw new ConfigException($"--kind: '{what}' is not one of pca, attention, both.");
            bool doPca = what != "attention", doAttention = what != "pca";
            var mode = parsed.GetValue(upsample) switch
            {
                "nearest" => Upsampling.Nearest,
                "bilinear" => Upsampling.Bilinear,
                var other => throw new ConfigException($"--upsample: '{other}' is not one of nearest, bilinear."),
            };
            var pcaOptions = new PcaMapOptions(parsed.GetValue(threshold), parsed.GetValue(sign), parsed.GetValue(colourAll));
            try { pcaOptions.Validate(); }
            catch (ArgumentException e) { throw new ConfigException("--" + e.Message); }
            string? files = parsed.GetValue(images);
            int? count = parsed.GetValue(sample);
            if ((files is null) == (count is null)) throw new ConfigException("viz: give either --images or --sample.");
            if (count is <= 0) throw new ConfigException("--sample: must be positive.");

            var overrides = new List<string>();
            if (parsed.GetValue(device) is { } d) overrides.Add($"trainer.device={d}");
            using var assembled = CliApp.BuildRun(parsed, directory.ConfigFile, overrides); // also makes SkiaSharp's native library loadable
            string used = EvalCommand.ResolveCheckpoint(directory, parsed.GetValue(checkpoint));
            Checkpoints.Load(used, assembled.Objective, null);
            if (assembled.Objective.Encoder is not VisionTransformer encoder)
                throw new InvalidOperationException($"viz needs a VisionTransformer encoder; this run has {assembled.Objective.Encoder.GetType().Name}.");
            var dataset = assembled.Dataset;
            int channels = dataset.Channels, size = assembled.Config.Model.ImageSize;

            var (source, names) = files is not null ? FromFiles(files, channels) : FromTestSplit(dataset, count!.Value, parsed.GetValue(seed));
            stderr.WriteLine($"viz {used}: {source.Count} image(s), {what}, {size} px, grid {encoder.GridHeight}x{encoder.GridWidth}");
            string outDir = Path.GetFullPath(parsed.GetValue(output)!);
            Directory.CreateDirectory(outDir);

            using var scope = NewDisposeScope();
            var preprocess = new EvalPreprocessor(size, dataset.Mean, dataset.Std);
            var batch = preprocess.Batch(source, 0, source.Count, channels);
            int n = source.Count;
            var originals = Originals(batch, dataset.Mean, dataset.Std);                     // (N, S, S, 3)
            encoder.eval();
            int? from = parsed.GetValue(fromToken);
            if (from is { } f && (f < 0 || f >= encoder.NumTokens))
                throw new ConfigException($"--from-token: must be between 0 and {encoder.NumTokens - 1} (the grid is {encoder.GridHeight}x{encoder.GridWidth}), got {f}.");
            Tensor? pcaMaps = null, attentionMean = null, attentionFrom = null;
            var attentionHeads = new List<Tensor>();
            stderr.WriteLine("viz: running the encoder");
            using (no_grad())
            {
                var x = batch.to(assembled.Device);
                if (doPca)
                {
                    // The same features eval probes: the last layer's patch tokens after a non-affine LayerNorm.
                    var tokens = F.layer_norm(encoder.forward(x, null), new long[] { encoder.EmbedDim }).to(CPU);
                    stderr.WriteLine("viz: PCA maps");
                    using var pca = PcaMaps.Compute(tokens, encoder.GridHeight, encoder.GridWidth, pcaOptions);
                    stderr.WriteLine($"viz: {pca.ForegroundMask.sum().item<long>()} of {pca.ForegroundMask.numel()} tokens foreground; " +
                                     $"explained variance ratio of the colour axes: {string.Join(", ", pca.Foreground.ExplainedVarianceRatio.data<double>().Select(v => v.ToString("F3")))}");
                    pcaMaps = PcaMaps.Upsample(pca.Maps, size, size, mode);
                }
                if (doAttention)
                {
                    stderr.WriteLine("viz: attention maps");
                    using var attention = AttentionMaps.Compute(encoder, x);
                    attentionMean = PcaMaps.Upsample(AttentionMaps.HeatMap(attention.Received()), size, size, mode);
                    for (int h = 0; h < attention.Heads; h++)
                        attentionHeads.Add(PcaMaps.Upsample(AttentionMaps.HeatMap(attention.Received(h)), size, size, mode));
                    if (from is { } token) attentionFrom = PcaMaps.Upsample(AttentionMaps.HeatMap(attention.From(token)), size, size, mode);
                }
            }

            var columns = new List<Tensor> { originals };
            if (pcaMaps is not null) columns.Add(pcaMaps);
            if (attentionMean is not null) columns.Add(attentionMean);
            for (int i = 0; i < n; i++)
            {
                string folder = Path.Combine(outDir, $"{i:D2}-{names[i]}");
                Directory.CreateDirectory(folder);
                WritePng(Path.Combine(folder, "original.png"), originals[i]);
                if (pcaMaps is not null) WritePng(Path.Combine(folder, "pca.png"), pcaMaps[i]);
                if (attentionMean is not null) WritePng(Path.Combine(folder, "attention-mean.png"), attentionMean[i]);
                if (attentionFrom is not null) WritePng(Path.Combine(folder, $"attention-from{from}.png"), attentionFrom[i]);
                for (int h = 0; h < attentionHeads.Count; h++) WritePng(Path.Combine(folder, $"attention-head{h}.png"), attentionHeads[h][i]);
                stderr.WriteLine($"viz: wrote {folder}/ ({i + 1}/{n})");
            }
            string sheet = Path.Combine(outDir, "contact-sheet.png");
            WritePng(sheet, ContactSheet(columns, n, size));
            stdout.WriteLine($"maps: {outDir}/ (contact sheet: {sheet}; columns: original{(pcaMaps is null ? "" : " | pca")}{(attentionMean is null ? "" : " | attention mean")})");
            return 0;
        });
        return command;
    }

    /// <summary>(N, C, S, S) normalised → (N, S, S, 3) uint8 as the encoder saw them (grayscale repeated to RGB).</summary>
    private static Tensor Originals(Tensor batch, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        var m = tensor(mean.ToArray()).view(1, -1, 1, 1);
        var s = tensor(std.ToArray()).view(1, -1, 1, 1);
        var pixels = ((batch * s + m).clamp(0, 1) * 255).round().to(ScalarType.Byte).permute(0, 2, 3, 1);
        return pixels.shape[3] == 1 ? pixels.expand(-1, -1, -1, 3).contiguous() : pixels.contiguous();
    }

    /// <summary>Rows = images, columns = the given (N, S, S, 3) maps, separated by white gaps.</summary>
    private static Tensor ContactSheet(List<Tensor> columns, int rows, int size)
    {
        int width = columns.Count * size + (columns.Count + 1) * Gap, height = rows * size + (rows + 1) * Gap;
        var sheet = full(new long[] { height, width, 3 }, 255, dtype: ScalarType.Byte);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns.Count; c++)
            {
                int top = Gap + r * (size + Gap), left = Gap + c * (size + Gap);
                sheet[top..(top + size), left..(left + size)] = columns[c][r];
            }
        return sheet;
    }

    /// <summary>Encodes an (H, W, 3) uint8 tensor as a PNG with SkiaSharp.</summary>
    private static void WritePng(string path, Tensor rgb)
    {
        int height = (int)rgb.shape[0], width = (int)rgb.shape[1];
        var pixels = rgb.contiguous().data<byte>().ToArray();
        var rgba = new byte[width * height * 4];
        for (int p = 0, q = 0; p < pixels.Length; p += 3, q += 4)
        {
            rgba[q] = pixels[p];
            rgba[q + 1] = pixels[p + 1];
            rgba[q + 2] = pixels[p + 2];
            rgba[q + 3] = 255;
        }
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new IOException($"could not encode {path} as PNG");
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    private static (IImageSource, string[]) FromTestSplit(IImageDataset dataset, int count, int seed)
    {
        var split = dataset.Splits.FirstOrDefault(s => s.Role == SplitRole.Test) ?? dataset.Splits[^1];
        if (count > split.Images.Count) throw new ConfigException($"--sample: the {split.Name} split has only {split.Images.Count} images.");
        var order = Enumerable.Range(0, split.Images.Count).ToArray();
        new Random(seed).Shuffle(order);
        var chosen = order.Take(count).ToArray();
        var samples = chosen.Select(i => split.Images.Read(i)).ToArray();
        return (new MemorySource(samples), chosen.Select(i => $"{split.Name}-{i}").ToArray());
    }

    private static (IImageSource, string[]) FromFiles(string list, int channels)
    {
        var paths = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (paths.Length == 0) throw new ConfigException("--images: no file given.");
        var samples = paths.Select(p => Decode(p, channels)).ToArray();
        var names = paths.Select(p => string.Concat(Path.GetFileNameWithoutExtension(p).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'))).ToArray();
        return (new MemorySource(samples), names);
    }

    /// <summary>Decodes an image file with SkiaSharp into the run's channels (grayscale: ITU-R 601 luma).</summary>
    private static ImageSample Decode(string path, int channels)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"--images: cannot read image {path}: {e.Message}", e);
        }
        using var stream = new SKMemoryStream(bytes);
        using var codec = SKCodec.Create(stream)
            ?? throw new DatasetException($"--images: cannot read image {path}: not a decodable image.");
        var info = codec.Info.WithColorType(SKColorType.Rgba8888).WithAlphaType(SKAlphaType.Unpremul);
        using var bitmap = SKBitmap.Decode(codec, info)
            ?? throw new DatasetException($"--images: cannot read image {path}: decoding failed.");
        int w = bitmap.Width, h = bitmap.Height, rowBytes = bitmap.RowBytes;
        var rgba = bitmap.GetPixelSpan();
        var pixels = new byte[w * h * channels];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int s = y * rowBytes + x * 4, o = (y * w + x) * channels;
                if (channels == 1)
                    pixels[o] = (byte)Math.Round(0.299 * rgba[s] + 0.587 * rgba[s + 1] + 0.114 * rgba[s + 2]);
                else
                    for (int c = 0; c < 3; c++) pixels[o + c] = rgba[s + c];
            }
        return new ImageSample(pixels, w, h, channels, -1);
    }

    private sealed class MemorySource(ImageSample[] samples) : IImageSource
    {
        public int Count => samples.Length;
        public int LabelAt(int index) => samples[index].Label;
        public ImageSample Read(int index) => samples[index];
    }
}
