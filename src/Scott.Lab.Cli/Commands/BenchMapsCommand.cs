using Scott.Lab.Cli.Recording;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Scott.Lab.Engine.Analysis;
using Scott.Lab.Engine.Config;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab bench maps --run DIR [--images 8] [--checkpoint C]</c>: what the portal's Maps tab costs. One JSON line:
/// <c>cold_seconds</c> (a fresh renderer: load the model, sample the images, then a PCA map over the whole set and a
/// mean attention map per image, requested at once as a browser does), <c>warm_seconds</c> (the same requests again,
/// answered from the PNG cache), their <c>ratio</c>, and <c>rethreshold_seconds</c> (every PCA map again at another
/// threshold: the encoder outputs are cached, the PCA is refitted); <c>model_load_seconds</c> is the part of the cold
/// pass spent building the run (dataset included) and loading the checkpoint. Loading the plugin catalog and libtorch
/// itself (once per process; a running portal has done both) are measured apart: <c>catalog_seconds</c>, <c>torch_init_seconds</c>.
/// </summary>
public static class BenchMapsCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var run = new Option<string>("--run") { Description = "Run directory (made by `scott-lab train`).", Required = true };
        var images = new Option<int>("--images") { Description = "Images of the test split, drawn with seed 0.", DefaultValueFactory = _ => 8 };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint folder name or step (default: the latest)." };
        var command = new Command("maps", "Measure the Maps tab's PNGs: cold (with the model load) and from the cache.") { run, images, checkpoint };
        command.SetAction(parsed =>
        {
            string dir = Path.GetFullPath(parsed.GetValue(run)!);
            if (!Directory.Exists(dir)) throw new ConfigException($"--run: {dir} not found; is it a run directory made by `scott-lab train`?");
            var spec = CliApp.SpecOf(parsed, dir);
            int count = parsed.GetValue(images);
            if (count < 1) throw new ConfigException("--images: must be at least 1.");
            var clock = Stopwatch.StartNew();
            var catalog = CliApp.LoadCatalog(parsed); // the portal has it loaded before any request
            double catalogSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            using (TorchSharp.torch.zeros(1)) { } // loads libtorch, once per process: a running portal has paid it
            double torchSeconds = clock.Elapsed.TotalSeconds;
            using var renderer = new MapRenderer((_, ckpt) => MapModel.Load(spec, ckpt, catalog, MapModel.SharedProcessOverrides),
                options: new MapRendererOptions { Threads = 1 }); // as the portal renders
            string? wanted = parsed.GetValue(checkpoint);

            async Task<(MapRunInfo Info, RenderedMap[] Maps, double DescribeSeconds)> TabAsync(double threshold)
            {
                var describe = Stopwatch.StartNew();
                MapRunInfo info;
                try { info = await renderer.DescribeAsync(dir, wanted, count, seed: 0); }
                catch (MapException e) // "checkpoint: ..." names the option without its dashes
                {
                    throw new ConfigException(e.Message.StartsWith("checkpoint:", StringComparison.Ordinal) ? "--" + e.Message : $"--run: {e.Message}");
                }
                double describeSeconds = describe.Elapsed.TotalSeconds;
                var ids = info.Images.Select(i => i.Id).ToList();
                var settings = new MapSettings(Threshold: threshold);
                var requests = ids.Select(id => renderer.RenderAsync(new MapQuery(dir, wanted, MapView.Pca, id, ids, settings)))
                    .Concat(ids.Select(id => renderer.RenderAsync(new MapQuery(dir, wanted, MapView.Attention, id, null, settings))));
                return (info, await Task.WhenAll(requests), describeSeconds);
            }

            stderr.WriteLine($"bench maps: {dir}, {count} images, PCA + attention each");
            clock.Restart();
            var (info, cold, modelSeconds) = TabAsync(0.5).GetAwaiter().GetResult();
            double coldSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var (_, warm, _) = TabAsync(0.5).GetAwaiter().GetResult();
            double warmSeconds = clock.Elapsed.TotalSeconds;
            if (!cold.Zip(warm).All(pair => ReferenceEquals(pair.First.Png, pair.Second.Png)))
                throw new InvalidOperationException("bench maps: the second pass was not answered from the cache.");
            clock.Restart();
            TabAsync(0.4).GetAwaiter().GetResult();
            double rethresholdSeconds = clock.Elapsed.TotalSeconds;

            stdout.WriteLine(JsonSerializer.Serialize(new
            {
                checkpoint = info.Checkpoint,
                images = info.Images.Count,
                requests = cold.Length,
                image_size = info.ImageSize,
                grid = $"{info.GridHeight}x{info.GridWidth}",
                cold_seconds = Math.Round(coldSeconds, 4),
                warm_seconds = Math.Round(warmSeconds, 5),
                ratio = Math.Round(coldSeconds / Math.Max(warmSeconds, 1e-9), 1),
                model_load_seconds = Math.Round(modelSeconds, 4),
                rethreshold_seconds = Math.Round(rethresholdSeconds, 4),
                catalog_seconds = Math.Round(catalogSeconds, 3),
                torch_init_seconds = Math.Round(torchSeconds, 3),
                model_loads = renderer.ModelLoads,
                encoder_runs = renderer.EncoderRuns,
            }));
            return 0;
        });
        return command;
    }
}
