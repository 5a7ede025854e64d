using System.CommandLine;
using System.Globalization;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Engine.Analysis;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Training;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab viz --run DIR [--checkpoint C] (--images a.jpg,b.jpg | --sample N) --out DIR [--kind pca|attention|both]
/// [--threshold 0.5] [--sign 1|-1] [--seed S] [--upsample nearest|bilinear] [--colour-background] [--from-token I] [--size PX]</c>:
/// PCA and attention maps of a run's frozen context encoder (no mask). Writes
/// OUT/&lt;k&gt;-&lt;name&gt;/{original,pca,attention-mean,attention-head&lt;h&gt;[,attention-from&lt;i&gt;]}.png and
/// OUT/contact-sheet.png (rows = images; columns = original | pca | attention mean).
/// Images are preprocessed as eval does (short side resized to model.image_size, centre crop, the run's channels).
/// The maps come from <see cref="MapRenderer"/>, the same code that serves the portal's Maps tab.
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
        var size = new Option<int?>("--size") { Description = "Side of every picture in pixels (default: model.image_size); token maps are enlarged with --upsample." };
        var device = new Option<string?>("--device") { Description = "auto | cpu | cuda (default: the run's)." };
        var command = new Command("viz", "PCA and attention maps of a run's frozen encoder (PNGs and a contact sheet).")
            { run, checkpoint, images, sample, output, kind, threshold, sign, seed, upsample, colourAll, fromToken, size, device };
        command.SetAction(parsed =>
        {
            string dir = parsed.GetValue(run)!;
            if (!Directory.Exists(dir)) throw new ConfigException($"--run: {Path.GetFullPath(dir)} not found.");
            var directory = new RunDirectory(dir);
            var spec = CliApp.SpecOf(parsed, directory.Path); // fails early when the folder is no run
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
            string used = Path.GetFullPath(EvalCommand.ResolveCheckpoint(directory, parsed.GetValue(checkpoint)));
            var inputs = files is null ? new Dictionary<string, string>() : InputFiles(files);
            // The portal's renderer, on one torch thread; SkiaSharp's native library is loadable once the catalog is.
            using var renderer = new MapRenderer(
                (_, folder) => MapModel.FromRun(CliApp.BuildRun(parsed, CliApp.SpecOf(parsed, directory.Path, overrides)), folder),
                (id, channels) => inputs.TryGetValue(id, out var path) ? Decode(path, channels) : null,
                new MapRendererOptions { AllowCheckpointFolders = true, Threads = 1 }); // --checkpoint may name any folder
            var info = renderer.DescribeAsync(directory.Path, used, count ?? 1, parsed.GetValue(seed)).GetAwaiter().GetResult();
            if (count is { } n && info.Images.Count < n)
                throw new ConfigException($"--sample: the test split has only {info.Images.Count} images.");
            var ids = files is null ? info.Images.Select(i => i.Id).ToList() : inputs.Keys.ToList();
            int? from = parsed.GetValue(fromToken);
            int tokens = info.GridHeight * info.GridWidth;
            if (from is { } f && (f < 0 || f >= tokens))
                throw new ConfigException($"--from-token: must be between 0 and {tokens - 1} (the grid is {info.GridHeight}x{info.GridWidth}), got {f}.");
            stderr.WriteLine($"viz {used}: {ids.Count} image(s), {what}, {info.ImageSize} px, grid {info.GridHeight}x{info.GridWidth}");
            string outDir = Path.GetFullPath(parsed.GetValue(output)!);
            Directory.CreateDirectory(outDir);

            var settings = new MapSettings(pcaOptions.Threshold, pcaOptions.Sign, ForegroundOnly: !pcaOptions.ColourBackground, Upsample: mode, Size: parsed.GetValue(size));
            if (settings.Size is { } side && (side < renderer.Options.MinSize || side > renderer.Options.MaxSize))
                throw new ConfigException($"--size: must be between {renderer.Options.MinSize} and {renderer.Options.MaxSize} pixels, got {side}.");
            RgbPixels Render(MapView view, string image, MapSettings with)
            {
                var rendered = renderer.RenderPixelsAsync(new MapQuery(directory.Path, used, view, image, ids, with)).GetAwaiter().GetResult();
                if (rendered.Pca is { } pca && image == ids[0])
                    stderr.WriteLine($"viz: {pca.ForegroundTokens} of {pca.Tokens} tokens foreground; explained variance ratio of the colour axes: " +
                                     string.Join(", ", pca.ColourVarianceRatio.Select(v => v.ToString("F3", CultureInfo.InvariantCulture))));
                return rendered.Pixels;
            }
            if (doPca) stderr.WriteLine("viz: PCA maps");
            if (doAttention) stderr.WriteLine("viz: attention maps");
            var sheet = new List<IReadOnlyList<RgbPixels>>();
            for (int i = 0; i < ids.Count; i++)
            {
                string folder = Path.Combine(outDir, files is null ? $"{i:D2}-{ids[i]}" : ids[i]);
                Directory.CreateDirectory(folder);
                var row = new List<RgbPixels> { Render(MapView.Original, ids[i], settings) };
                WritePng(Path.Combine(folder, "original.png"), row[0]);
                if (doPca)
                {
                    row.Add(Render(MapView.Pca, ids[i], settings));
                    WritePng(Path.Combine(folder, "pca.png"), row[^1]);
                }
                if (doAttention)
                {
                    row.Add(Render(MapView.Attention, ids[i], settings));
                    WritePng(Path.Combine(folder, "attention-mean.png"), row[^1]);
                    for (int h = 0; h < info.Heads; h++)
                        WritePng(Path.Combine(folder, $"attention-head{h}.png"), Render(MapView.Attention, ids[i], settings with { Head = h }));
                    if (from is { } token)
                        WritePng(Path.Combine(folder, $"attention-from{token}.png"), Render(MapView.Attention, ids[i], settings with { FromToken = token }));
                }
                sheet.Add(row);
                stderr.WriteLine($"viz: wrote {folder}/ ({i + 1}/{ids.Count})");
            }
            string sheetFile = Path.Combine(outDir, "contact-sheet.png");
            WritePng(sheetFile, MapImaging.ContactSheet(sheet, Gap));
            stdout.WriteLine($"maps: {outDir}/ (contact sheet: {sheetFile}; columns: original{(doPca ? " | pca" : "")}{(doAttention ? " | attention mean" : "")})");
            return 0;
        });
        return command;
    }

    private static void WritePng(string path, RgbPixels picture) => File.WriteAllBytes(path, MapImaging.EncodePng(picture));

    /// <summary>--images files by id (<c>00-name</c>: their order and a file-name-safe stem, so two files never share an id).</summary>
    private static Dictionary<string, string> InputFiles(string list)
    {
        var paths = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (paths.Length == 0) throw new ConfigException("--images: no file given.");
        return paths.Select((p, i) => (Id: $"{i:D2}-{string.Concat(Path.GetFileNameWithoutExtension(p).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'))}", Path: p))
            .ToDictionary(x => x.Id, x => x.Path, StringComparer.Ordinal);
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
        try { return MapImaging.Decode(bytes, channels, path); }
        catch (DatasetException e) { throw new DatasetException("--images: " + e.Message, e); }
    }
}
