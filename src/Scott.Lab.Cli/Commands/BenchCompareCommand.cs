using System.Text.Json.Nodes;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Scott.Lab.Engine.Config;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Comparison;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab bench compare [--runs 5] [--points 20000]</c>: seeds a temporary run store with runs of that many
/// metric rows (8 series each, like a real run's rows) and times what the comparison page does to open: read and
/// downsample every run's metrics, build the comparison, serialise it to JSON. One JSON line, times in milliseconds:
/// <c>cold_*</c> is the first build (every metrics row read, digests written, code not yet compiled by the JIT),
/// <c>rows_load_ms</c> reading every row again once warm, <c>warm_*</c> the median of the following builds
/// (downsampled digests read from the store, as every later view of finished runs does).
/// </summary>
public static class BenchCompareCommand
{
    private static readonly string[] Series = ["loss", "lr", "wd", "images_per_second", ComparisonLoader.WallSeconds, "health/std", "health/effective_rank", "online_probe/acc"];

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var runs = new Option<int>("--runs") { Description = "Runs to compare.", DefaultValueFactory = _ => 5 };
        var points = new Option<int>("--points") { Description = "Metric rows per run.", DefaultValueFactory = _ => 20_000 };
        var repeats = new Option<int>("--repeats") { Description = "Timed builds: the first is cold, the median of the others is reported as warm.", DefaultValueFactory = _ => 4 };
        var command = new Command("compare", "Time building a run comparison (what /compare does) on a seeded temporary store.") { runs, points, repeats };
        command.SetAction(parsed =>
        {
            int runCount = parsed.GetValue(runs), pointCount = parsed.GetValue(points), repeatCount = parsed.GetValue(repeats);
            if (runCount is < 1 or > CompareView.MaxRuns) throw new ConfigException($"--runs: must be from 1 to {CompareView.MaxRuns}, got {runCount}");
            if (pointCount < 1) throw new ConfigException($"--points: must be at least 1, got {pointCount}");
            if (repeatCount < 1) throw new ConfigException($"--repeats: must be at least 1, got {repeatCount}");
            string dir = Path.Combine(Path.GetTempPath(), "scott-lab-bench-compare-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                using var store = new RunStore(dir);
                var seed = Stopwatch.StartNew();
                var ids = Enumerable.Range(0, runCount).Select(r => Seed(store, r, pointCount)).ToList();
                stderr.WriteLine($"bench compare: seeded {runCount} runs × {pointCount} rows × {Series.Length} series in {seed.Elapsed.TotalSeconds:0.0} s; timing {repeatCount} builds...");
                var view = new CompareView { Runs = ids, Metrics = ["loss", "lr"], Smoothing = 0.6 };
                var samples = new List<(double Load, double Build, double Json, int Bytes)>();
                for (int i = 0; i < repeatCount; i++)
                {
                    var clock = Stopwatch.StartNew();
                    var (data, _) = ComparisonLoader.Load(store, ids);
                    double load = clock.Elapsed.TotalMilliseconds;
                    var comparison = ComparisonBuilder.Build(data, view);
                    double build = clock.Elapsed.TotalMilliseconds - load;
                    string json = ComparisonExport.ToJson(comparison);
                    double total = clock.Elapsed.TotalMilliseconds;
                    samples.Add((load, build, total - load - build, json.Length));
                }
                // Steady state of a view that reads every row (runs never digested), once JIT and caches are warm.
                var rows = Stopwatch.StartNew();
                ComparisonLoader.Load(store, ids, useDigests: false);
                double rowsLoad = rows.Elapsed.TotalMilliseconds;
                var cold = samples[0];
                var warm = samples.Count > 1 ? samples.Skip(1).OrderBy(s => s.Load + s.Build + s.Json).ElementAt((samples.Count - 1) / 2) : cold;
                stdout.WriteLine(JsonSerializer.Serialize(new
                {
                    runs = runCount, points = pointCount, series = Series.Length, points_per_curve = ComparisonLoader.MaxPoints,
                    cold_load_ms = Math.Round(cold.Load, 1), cold_total_ms = Math.Round(cold.Load + cold.Build + cold.Json, 1),
                    rows_load_ms = Math.Round(rowsLoad, 1),
                    warm_load_ms = Math.Round(warm.Load, 1), warm_build_ms = Math.Round(warm.Build, 1), warm_json_ms = Math.Round(warm.Json, 1),
                    warm_total_ms = Math.Round(warm.Load + warm.Build + warm.Json, 1), json_bytes = warm.Bytes,
                }));
                return 0;
            }
            finally
            {
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            }
        });
        return command;
    }

    /// <summary>A completed run with <paramref name="points"/> rows of plausible training metrics (also `bench runs-table`'s runs).</summary>
    internal static string Seed(RunStore store, int index, int points)
    {
        var run = store.Create(new RunRecord
        {
            Name = $"bench-{index}", Status = RunStatus.Completed, TotalSteps = points, Step = points, Dataset = "fashion-mnist", Tokenizer = "scott", Objective = "mim-jepa",
            Spec = new JsonObject
            {
                ["model"] = new JsonObject { ["width"] = 64 * (index + 1), ["depth"] = 4 },
                ["optimizer"] = new JsonObject { ["lr"] = 0.001 * (index + 1) },
                ["trainer"] = new JsonObject { ["epochs"] = 10, ["seed"] = index },
            },
        });
        var random = new Random(index);
        store.AppendMetricRows(run.Id, Enumerable.Range(0, points).Select(step => ((long)step, (IReadOnlyDictionary<string, double>)new Dictionary<string, double>
        {
            ["loss"] = 2.0 / (1 + step / 500.0) + 0.05 * random.NextDouble(),
            ["lr"] = 1e-3 * Math.Cos(step / (double)points * Math.PI / 2),
            ["wd"] = 0.04 + 0.36 * step / points,
            ["images_per_second"] = 100 + 10 * random.NextDouble(),
            [ComparisonLoader.WallSeconds] = step * 0.64,
            ["health/std"] = 0.9 + 0.1 * random.NextDouble(),
            ["health/effective_rank"] = 20 + random.NextDouble(),
            ["online_probe/acc"] = Math.Min(0.9, step / (double)points) + 0.02 * random.NextDouble(),
        })));
        return run.Id;
    }
}
