using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Engine.Config;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Table;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab bench runs-table [--runs 5] [--points 20000]</c>: seeds a temporary run store with finished runs of
/// that many metric rows and times what the runs page does at each refresh, <see cref="RunsTable.Load"/> with a
/// metric column, a config column and a filter. One JSON line, times in milliseconds: <c>cold_ms</c> the first load
/// (every row read once to make the runs' summaries), <c>warm_ms</c> the median of the next loads (stored
/// summaries), <c>training_ms</c> a load while one run trains and logged 100 rows since the last one, and
/// <c>all_rows_ms</c> reading every row of every run (what a table without summaries would do at each refresh).
/// </summary>
public static class BenchRunsTableCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var runs = new Option<int>("--runs") { Description = "Runs in the table.", DefaultValueFactory = _ => 5 };
        var points = new Option<int>("--points") { Description = "Metric rows per run.", DefaultValueFactory = _ => 20_000 };
        var repeats = new Option<int>("--repeats") { Description = "Warm loads timed (the median is reported).", DefaultValueFactory = _ => 5 };
        var command = new Command("runs-table", "Time loading the runs table (what /runs does at each refresh) on a seeded temporary store.") { runs, points, repeats };
        command.SetAction(parsed =>
        {
            int runCount = parsed.GetValue(runs), pointCount = parsed.GetValue(points), repeatCount = parsed.GetValue(repeats);
            if (runCount < 1) throw new ConfigException($"--runs: must be at least 1, got {runCount}");
            if (pointCount < 1) throw new ConfigException($"--points: must be at least 1, got {pointCount}");
            if (repeatCount < 1) throw new ConfigException($"--repeats: must be at least 1, got {repeatCount}");
            string dir = Path.Combine(Path.GetTempPath(), "scott-lab-bench-table-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                using var store = new RunStore(dir);
                var ids = Enumerable.Range(0, runCount).Select(r => BenchCompareCommand.Seed(store, r, pointCount)).ToList();
                stderr.WriteLine($"bench runs-table: seeded {runCount} runs × {pointCount} rows; timing...");
                var view = new RunsView { Columns = ["model.width", "metric.loss.best"], Filter = "model.width >= 64 and metric.loss.best < 10" };
                double Time(Action action) { var clock = Stopwatch.StartNew(); action(); return clock.Elapsed.TotalMilliseconds; }

                int shown = 0;
                double cold = Time(() => shown = RunsTable.Load(store, view).Rows.Count);
                var warm = Enumerable.Range(0, repeatCount).Select(_ => Time(() => RunsTable.Load(store, view))).Order().ToList();
                double allRows = Time(() => { foreach (string id in ids) store.MetricColumns(id); });

                // One run trains on: 100 new rows between two refreshes.
                store.Update(ids[0], r => r.Status = RunStatus.Running);
                RunsTable.Load(store, view);
                store.AppendMetricRows(ids[0], Enumerable.Range(pointCount, 100).Select(s => ((long)s, (IReadOnlyDictionary<string, double>)new Dictionary<string, double> { ["loss"] = 0.01 })));
                double training = Time(() => RunsTable.Load(store, view));

                double median = warm[warm.Count / 2];
                stdout.WriteLine(JsonSerializer.Serialize(new
                {
                    runs = runCount, points = pointCount, shown,
                    cold_ms = Math.Round(cold, 1), warm_ms = Math.Round(median, 1), training_ms = Math.Round(training, 1), all_rows_ms = Math.Round(allRows, 1),
                    all_rows_over_warm = Math.Round(allRows / median, 1),
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
}
