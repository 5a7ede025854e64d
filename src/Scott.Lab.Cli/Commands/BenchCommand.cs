using Scott.Lab.Abstractions.Models;
using Scott.Lab.Cli.Benchmarks;
using System.CommandLine;
using System.Text.Json;
using Scott.Lab.Engine.Benchmarks;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Training;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab bench train [--config ...] [--precision fp32,bf16]</c>: one JSON line with, per precision, matmul_gflops (same dtype),
/// train_gflops, mfu, images_per_second; and bf16_speedup, flops_per_image, peak_rss_mb.
/// <c>scott-lab bench ops</c>: one JSON line per op kind with its fp32 and bf16 forward + backward times.
/// <c>scott-lab bench data --dataset ID --root DIR --image-size 224</c>: one JSON line with the input pipeline's
/// images_per_second, per_core, and its ratio to what the training step consumes at the same settings.
/// </summary>
public static class BenchCommand
{
    // Relaxed escaping: shapes such as "12544x192 -> 576" stay readable on a terminal.
    private static readonly JsonSerializerOptions Snake = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static Command CreateData(TextWriter stdout, TextWriter stderr)
    {
        var config = new Option<string>("--config") { Description = "Run config whose model, objective and augmentation are used.", DefaultValueFactory = _ => "configs/ssl/scott.yaml" };
        var dataset = new Option<string>("--dataset") { Description = "Dataset plugin id.", DefaultValueFactory = _ => "image-folder" };
        var root = new Option<string?>("--root") { Description = "Dataset folder (dataset.options.root)." };
        var imageSize = new Option<int>("--image-size") { Description = "Model input size (model.image_size).", DefaultValueFactory = _ => 224 };
        var batch = new Option<int>("--batch-size") { Description = "Images per step.", DefaultValueFactory = _ => 64 };
        var steps = new Option<int>("--steps") { Description = "Timed pipeline steps.", DefaultValueFactory = _ => 10 };
        var trainSteps = new Option<int>("--train-steps") { Description = "Timed training steps for the ratio (0: skip).", DefaultValueFactory = _ => 3 };
        var generate = new Option<int>("--generate") { Description = "First write this many synthetic JPEGs (≈500×375, 10 classes) into --root, as an ImageFolder.", DefaultValueFactory = _ => 0 };
        var set = new Option<string[]>("--set") { Description = "Override a config key (repeatable)." };
        var command = new Command("data", "Measure the input pipeline against the training step.") { config, dataset, root, imageSize, batch, steps, trainSteps, generate, set };
        command.SetAction(parsed =>
        {
            if (parsed.GetValue(steps) < 1) throw new ConfigException("--steps: must be at least 1");
            string? folder = parsed.GetValue(root);
            var catalog = CliApp.LoadCatalog(parsed); // also makes the datasets plugin's SkiaSharp native library loadable
            if (parsed.GetValue(generate) is > 0 and var count)
            {
                if (folder is null) throw new ConfigException("--generate needs --root DIR: where to write the images.");
                SyntheticImageFolder.Write(folder, count, classes: 10, seed: 0, stderr);
            }
            var overrides = new List<string>(parsed.GetValue(set) ?? [])
            {
                $"dataset.id={parsed.GetValue(dataset)}",
                $"model.image_size={parsed.GetValue(imageSize)}",
                $"trainer.batch_size={parsed.GetValue(batch)}",
            };
            if (folder is not null) overrides.Add($"dataset.options.root={Path.GetFullPath(folder)}");
            var tree = ConfigLoader.LoadTree(CliApp.FindConfig(parsed.GetValue(config)!), []);
            tree["dataset"] = new System.Text.Json.Nodes.JsonObject(); // the config's own dataset options don't apply to another dataset
            foreach (var o in overrides) ConfigLoader.ApplyOverride(tree, o);
            using var run = RunBuilder.Build(RunSpecBinder.BindOrThrow(tree, catalog), catalog);
            stderr.WriteLine($"bench data: {run.Spec.Dataset.Id} ({run.Loader.Count} images) at {run.Spec.Model.ImageSize} px, batch {run.Spec.Trainer.BatchSize}, " +
                             $"{parsed.GetValue(steps)} pipeline steps, then {parsed.GetValue(trainSteps)} training steps...");
            var result = DataBenchmark.Run(run, warmupSteps: 1, parsed.GetValue(steps), parsed.GetValue(trainSteps));
            stdout.WriteLine(JsonSerializer.Serialize(result, Snake));
            return 0;
        });
        return command;
    }

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var config = new Option<string>("--config") { Description = "Run config to benchmark.", DefaultValueFactory = _ => "configs/ssl/fashion-mnist-cpu.yaml" };
        var set = new Option<string[]>("--set") { Description = "Override a config key (repeatable)." };
        var steps = new Option<int>("--steps") { Description = "Timed steps per precision.", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up steps per precision.", DefaultValueFactory = _ => 3 };
        var precisions = new Option<string>("--precision")
        {
            Description = "Precisions to measure, comma-separated (trainer.precision values); they take turns, so a load change hits each alike.",
            DefaultValueFactory = _ => string.Join(",", Precision.Names),
        };
        var train = new Command("train", "Measure training throughput and MFU, in fp32 and bf16.") { config, set, steps, warmup, precisions };
        train.SetAction(parsed =>
        {
            if (parsed.GetValue(steps) < 1) throw new ConfigException("--steps: must be at least 1");
            var chosen = ParsePrecisions(parsed.GetValue(precisions)!);
            var runs = new List<AssembledRun>();
            try
            {
                foreach (var precision in chosen)
                    runs.Add(CliApp.BuildRun(parsed, CliApp.FindConfig(parsed.GetValue(config)!), [.. parsed.GetValue(set) ?? [], $"trainer.precision={precision}"]));
                var runConfig = runs[0].Spec;
                stderr.WriteLine($"bench: {runConfig.Tokenizer.Id} + {runConfig.Objective.Id}, width {runConfig.Model.Width}, depth {runConfig.Model.Depth}, " +
                                 $"image {runConfig.Model.ImageSize}, batch {runConfig.Trainer.BatchSize}, {parsed.GetValue(steps)} steps in {string.Join(" and ", chosen)}...");
                var result = TrainBenchmark.Run(runs, parsed.GetValue(warmup), parsed.GetValue(steps));
                stdout.WriteLine(JsonSerializer.Serialize(result, Snake));
            }
            finally
            {
                foreach (var run in runs) run.Dispose();
            }
            return 0;
        });
        return new Command("bench", "Benchmarks.") { train, CreateOps(stdout, stderr), CreateData(stdout, stderr), BenchMapsCommand.Create(stdout, stderr), BenchCompareCommand.Create(stdout, stderr), BenchRunsTableCommand.Create(stdout, stderr) };
    }

    private static Command CreateOps(TextWriter stdout, TextWriter stderr)
    {
        var config = new Option<string>("--config") { Description = "Run config whose shapes (batch, tokens, width, heads, FFN, tokenizer conv) are timed.", DefaultValueFactory = _ => "configs/ssl/fashion-mnist-cpu.yaml" };
        var set = new Option<string[]>("--set") { Description = "Override a config key (repeatable)." };
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats per op and precision (the best counts).", DefaultValueFactory = _ => 5 };
        var command = new Command("ops", "Time each kind of op of a training step, forward + backward, in fp32 and bf16.") { config, set, repeats };
        command.SetAction(parsed =>
        {
            if (parsed.GetValue(repeats) < 1) throw new ConfigException("--repeats: must be at least 1");
            using var run = CliApp.BuildRun(parsed, CliApp.FindConfig(parsed.GetValue(config)!), parsed.GetValue(set) ?? []);
            stderr.WriteLine($"bench ops: batch {run.Spec.Trainer.BatchSize}, {run.Objective.Encoder.NumTokens} tokens, width {run.Spec.Model.Width}, {TorchSharp.torch.get_num_threads()} threads...");
            foreach (var timing in PrecisionOpsBenchmark.Run(run, parsed.GetValue(repeats)))
                stdout.WriteLine(JsonSerializer.Serialize(timing, Snake));
            return 0;
        });
        return command;
    }

    private static IReadOnlyList<string> ParsePrecisions(string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        var unknown = names.Where(n => !Precision.Names.Contains(n)).ToList();
        if (names.Count == 0 || unknown.Count > 0)
            throw new ConfigException($"--precision: '{text}' is not a list of {string.Join(", ", Precision.Names)} (comma-separated).");
        return names;
    }
}
