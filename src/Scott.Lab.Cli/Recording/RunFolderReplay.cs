using System.Text.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Evaluation;
using Scott.Lab.Engine.Training;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Reporting;

namespace Scott.Lab.Cli.Recording;

/// <summary>
/// A run folder read back as the record a store keeps of it: the spec from config.yaml, plugins and device from
/// run.json, metrics rows from metrics.jsonl, checkpoints, results under eval/ and the status summary.json implies.
/// What `scott-lab adopt` records for a folder the store does not know (e.g. after an unreadable store was moved
/// aside). Names, tags and notes given in the portal lived only in the store and are not in the folder.
/// </summary>
public static class RunFolderReplay
{
    private static readonly JsonSerializerOptions Snake = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Every folder under the store's DATA/runs that holds a config.yaml, in name order.</summary>
    public static IReadOnlyList<string> RunFolders(RunStore store) => Directory.Exists(store.RunsDir)
        ? Directory.GetDirectories(store.RunsDir).Where(d => File.Exists(Path.Combine(d, "config.yaml"))).Order(StringComparer.Ordinal).ToList()
        : [];

    /// <summary>
    /// Records <paramref name="folder"/> in <paramref name="store"/> under the folder's own name when that is a run id
    /// nobody has (links to the run keep working), else under a new id. Returns the run, and false when the store
    /// already had it (nothing recorded). A folder without config.yaml is not a run folder (ConfigException).
    /// </summary>
    public static (RunRecord Run, bool Adopted) Adopt(RunStore store, string folder)
    {
        folder = Path.GetFullPath(folder);
        if (store.FindByDirectory(folder) is { } known) return (known, false);
        if (!File.Exists(Path.Combine(folder, "config.yaml")))
            throw new ConfigException($"{folder} has no config.yaml: it is not a run folder made by `scott-lab train`.");
        var directory = new RunDirectory(folder);
        var spec = ConfigLoader.LoadTree(directory.ConfigFile);
        var summary = directory.ReadSummary();
        long? steps = summary?["steps"]?.GetValue<long>(), total = summary?["total_steps"]?.GetValue<long>();
        string name = Path.GetFileName(folder);
        var run = store.RecordCliRun(new CliRunRequest
        {
            Name = spec["name"]?.GetValue<string>() ?? name,
            Directory = folder,
            Spec = spec,
            Dataset = spec["dataset"]?["id"]?.GetValue<string>() ?? "",
            Tokenizer = spec["tokenizer"]?["id"]?.GetValue<string>() ?? "",
            Objective = spec["objective"]?["id"]?.GetValue<string>() ?? "",
            TotalSteps = total ?? 0,
        }, id: RunStore.IsRunIdForm(name) && store.Get(name) is null ? name : null);

        var events = new List<RunEvent> { Started(directory, total) };
        events.AddRange(MetricRows(directory));
        foreach (string checkpoint in new Checkpoints(folder).All())
            if (StoreRecorder.CheckpointStep(checkpoint) is { } step) events.Add(RunEvents.Checkpoint(step, checkpoint));
        events.AddRange(Evaluations(directory, run.Id));
        events.Add(Ended(steps, total, summary));
        foreach (var batch in events.Chunk(500)) store.ApplyEvents(run.Id, batch); // bounded transactions
        return (store.Get(run.Id)!, true);
    }

    private static RunEvent Started(RunDirectory directory, long? total)
    {
        var info = File.Exists(directory.RunFile) ? JsonNode.Parse(File.ReadAllText(directory.RunFile)) : null;
        return new RunEvent
        {
            Kind = RunEventKind.Running,
            AtUtc = info?["created_utc"]?.GetValue<DateTime>() ?? Directory.GetCreationTimeUtc(directory.Path),
            Message = "adopted from its folder",
            Device = info?["device"]?.GetValue<string>(),
            GitCommit = info?["git_commit"]?.GetValue<string>(),
            Plugins = info?["plugins"]?.Deserialize<List<PluginRef>>(Snake),
            TotalSteps = total,
        };
    }

    /// <summary>metrics.jsonl, a row per logged step (a torn last line, as a killed run leaves, is skipped).</summary>
    private static IEnumerable<RunEvent> MetricRows(RunDirectory directory)
    {
        if (!File.Exists(directory.MetricsFile)) yield break;
        foreach (string line in File.ReadLines(directory.MetricsFile))
        {
            JsonObject? row;
            try { row = JsonNode.Parse(line) as JsonObject; }
            catch (JsonException) { continue; }
            if (row?["step"] is not JsonValue stepValue || !stepValue.TryGetValue(out long step)) continue;
            var values = new Dictionary<string, double>();
            foreach (var (key, value) in row)
                if (key != "step" && value is JsonValue v && v.TryGetValue(out double number)) values[key] = number;
            yield return RunEvents.Metrics(step, values);
        }
    }

    /// <summary>eval/*.json as `eval` recorded them (best-*.json under protocol "best"); the curve file is not a result.</summary>
    private static IEnumerable<RunEvent> Evaluations(RunDirectory directory, string runId)
    {
        string folder = Path.Combine(directory.Path, "eval");
        if (!Directory.Exists(folder)) return [];
        var results = new List<(EvalResult, string, string)>();
        foreach (string file in Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(file) == AccuracyCurve.FileName) continue;
            EvalResult? result;
            try { result = JsonSerializer.Deserialize<EvalResult>(File.ReadAllText(file), Snake); }
            catch (JsonException) { continue; } // not a result file
            if (result is null) continue;
            results.Add((result, file, Path.GetFileName(file).StartsWith("best", StringComparison.Ordinal) ? "best" : result.Protocol));
        }
        return RunEvents.Evaluations(runId, results).ToList();
    }

    private static RunEvent Ended(long? steps, long? total, JsonObject? summary)
    {
        bool budgetReached = summary?["budget_reached"]?.GetValue<bool>() == true;
        if (steps is not { } done)
            return new RunEvent { Kind = RunEventKind.Finished, AtUtc = DateTime.UtcNow, Status = RunStatus.Cancelled, Message = "adopted from its folder: no summary.json, so it stopped before its first checkpoint" };
        bool complete = done >= (total ?? long.MaxValue) || budgetReached;
        double? lastLoss = summary?["last_loss"]?.GetValue<double>();
        return new RunEvent
        {
            Kind = RunEventKind.Finished,
            AtUtc = DateTime.UtcNow,
            Status = complete ? RunStatus.Completed : RunStatus.Cancelled,
            Message = complete ? $"adopted from its folder: {done} steps" : $"adopted from its folder: stopped at step {done} of {total}; resume to continue",
            Step = done,
            LastLoss = lastLoss is { } l && double.IsFinite(l) ? l : null,
        };
    }
}
