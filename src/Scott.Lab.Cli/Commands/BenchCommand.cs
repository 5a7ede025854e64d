using System.CommandLine;
using System.Text.Json;
using Scott.Lab.Engine.Benchmarks;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Training;

namespace Scott.Lab.Cli.Commands;

/// <summary><c>scott-lab bench train [--config ...]</c>: one JSON line with matmul_gflops, train_gflops, mfu, images_per_second, peak_rss_mb.</summary>
public static class BenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var config = new Option<string>("--config") { Description = "Run config to benchmark.", DefaultValueFactory = _ => "configs/ssl/fashion-mnist-cpu.yaml" };
        var set = new Option<string[]>("--set") { Description = "Override a config key (repeatable)." };
        var steps = new Option<int>("--steps") { Description = "Timed steps.", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up steps.", DefaultValueFactory = _ => 3 };
        var train = new Command("train", "Measure training throughput and MFU.") { config, set, steps, warmup };
        train.SetAction(parsed =>
        {
            if (parsed.GetValue(steps) < 1) throw new ConfigException("--steps: must be at least 1");
            using var run = CliApp.BuildRun(parsed, CliApp.FindConfig(parsed.GetValue(config)!), parsed.GetValue(set) ?? []);
            var runConfig = run.Config;
            stderr.WriteLine($"bench: {runConfig.Tokenizer.Id} + {runConfig.Objective.Id}, width {runConfig.Model.Width}, depth {runConfig.Model.Depth}, " +
                             $"image {runConfig.Model.ImageSize}, batch {runConfig.Trainer.BatchSize}, {parsed.GetValue(steps)} steps...");
            var result = TrainBenchmark.Run(run, parsed.GetValue(warmup), parsed.GetValue(steps));
            stdout.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
            return 0;
        });
        return new Command("bench", "Benchmarks.") { train };
    }
}
