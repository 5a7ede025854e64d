using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Engine.Config;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab datasets inspect --dataset ID [--root DIR] [--set key=value]...</c>: opens a dataset through the plugin
/// catalog and prints its classes, splits, unreadable images and its first image decoded, so that a download can be
/// checked before a run. Keys of --set are the dataset's options (<c>--set decode_size=128</c>).
/// </summary>
public static class DatasetsCommand
{
    /// <summary>How many class names are printed.</summary>
    private const int ShownClasses = 8;

    public static Command Create(TextWriter stdout)
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset plugin id, e.g. flowers-102, oxford-pets, imagenet-100, image-folder.", Required = true };
        var root = new Option<string?>("--root") { Description = "Dataset folder (sets the option root)." };
        var set = new Option<string[]>("--set") { Description = "Set a dataset option: --set decode_size=128 (repeatable)." };
        var inspect = new Command("inspect", "Open a dataset and print its classes, splits and unreadable images.") { dataset, root, set };
        inspect.SetAction(parsed =>
        {
            var catalog = CliApp.LoadCatalog(parsed);
            string id = parsed.GetValue(dataset)!;
            var plugin = catalog.Resolve<IDatasetPlugin>(id, "--dataset");

            var raw = new JsonObject();
            if (parsed.GetValue(root) is { } folder) raw["root"] = folder;
            foreach (var assignment in parsed.GetValue(set) ?? []) ConfigLoader.ApplyOverride(raw, assignment);
            var options = RunSpecBinder.BindOptions(plugin.OptionsType, raw.Count == 0 ? null : raw, "dataset.options");

            using var opened = plugin.Open(options);
            Print(stdout, id, opened);
            return 0;
        });
        return new Command("datasets", "Inspect datasets.") { inspect };
    }

    private static void Print(TextWriter o, string id, IImageDataset d)
    {
        static string Numbers(IEnumerable<float> values) => string.Join(" ", values.Select(v => v.ToString("0.###", CultureInfo.InvariantCulture)));

        o.WriteLine($"dataset       {id}: {d.Description}");
        var names = d.ClassNames;
        o.WriteLine($"classes       {names.Count}: {string.Join(", ", names.Take(ShownClasses))}{(names.Count > ShownClasses ? ", ..." : "")}");
        o.WriteLine($"splits        {string.Join(", ", d.Splits.Select(s => $"{s.Name} {s.Images.Count} ({s.Role.ToString().ToLowerInvariant()})"))}");
        o.WriteLine($"pre-training  {d.PretrainingSplits.Sum(s => s.Images.Count)} images ({string.Join(" + ", d.PretrainingSplits.Select(s => s.Name))})");
        o.WriteLine($"channels      {d.Channels}; mean {Numbers(d.Mean)}; std {Numbers(d.Std)}; size {(d.FixedSize is { } size ? $"{size.Width}×{size.Height}" : "varies")}");
        if (d is IBadImageReport report)
        {
            o.WriteLine($"unreadable    {report.BadImageCount}{(report.BadImageCount > 0 ? " (left out)" : "")}");
            foreach (var bad in report.FirstBadImages) o.WriteLine($"              {bad.Path}: {bad.Reason}");
            if (report.BadImageCount > report.FirstBadImages.Count)
                o.WriteLine($"              ... and {report.BadImageCount - report.FirstBadImages.Count} more");
        }
        // Decoding one image shows that the decoder (and its native library) works where the dataset will be used.
        var first = d.Splits.FirstOrDefault(s => s.Images.Count > 0);
        if (first is not null)
        {
            var sample = first.Images.Read(0);
            string label = sample.Label >= 0 && sample.Label < names.Count ? $"{sample.Label} ({names[sample.Label]})" : sample.Label.ToString(CultureInfo.InvariantCulture);
            o.WriteLine($"first image   {first.Name}[0]: {sample.Width}×{sample.Height}×{sample.Channels}, label {label}");
        }
    }
}
