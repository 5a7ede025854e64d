using System.Text.Json.Nodes;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Evaluation;
using Scott.Lab.Engine.Training;
using Scott.Lab.Runs;

namespace Scott.Lab.Cli.Recording;

/// <summary>
/// Records a run in the shared run store (DATA/scott-lab.db) while it trains: status, the plugins and versions it
/// was built from, each metrics row, progress, checkpoints and evaluations. Used by `worker` and by `train`/`eval`.
/// The run folder stays the source of truth, so a store problem is a warning on stderr and never stops training.
/// </summary>
public sealed class StoreRecorder : ITrainingSink, IDisposable
{
    private const int MaxWarnings = 3;
    private readonly RunStore? _store;
    private readonly bool _ownsStore;
    private readonly TextWriter _log;
    private int _warnings;

    private StoreRecorder(RunStore? store, bool ownsStore, string? runId, TextWriter log) =>
        (_store, _ownsStore, RunId, _log) = (store, ownsStore, runId, log);

    /// <summary>The run being recorded; null when the store could not be opened or the run not created.</summary>
    public string? RunId { get; private set; }

    /// <summary>Opens the store of <paramref name="dataDir"/>; when it can't, every call does nothing.</summary>
    public static StoreRecorder Open(string dataDir, TextWriter log)
    {
        try
        {
            return new StoreRecorder(new RunStore(dataDir), ownsStore: true, null, log);
        }
        catch (Exception e)
        {
            log.WriteLine($"warning: run store in {dataDir} could not be opened ({e.Message}); this run is not recorded there. The run folder has everything.");
            return new StoreRecorder(null, ownsStore: false, null, log);
        }
    }

    /// <summary>Records a run that is already in the store (the worker's case).</summary>
    public static StoreRecorder For(RunStore store, string runId, TextWriter log) => new(store, ownsStore: false, runId, log);

    /// <summary>`train`: a new record for a new run, or the existing one (found by its folder) for --resume.</summary>
    public void AttachCliRun(AssembledRun run, string directory, string name, bool resuming) => Guard("record the run", store =>
    {
        var existing = resuming ? store.FindByDirectory(directory) : null;
        RunId = existing?.Id ?? store.Create(new RunRecord
        {
            Name = name,
            Directory = directory,
            Spec = run.Resolved,
            Source = "cli",
            Dataset = run.Spec.Dataset.Id,
            Tokenizer = run.Spec.Tokenizer.Id,
            Objective = run.Spec.Objective.Id,
            Status = RunStatus.Queued,
            TotalSteps = run.TotalSteps,
        }).Id;
    }, needsRun: false);

    /// <summary>Running, with this process as its worker and everything needed to reproduce it.</summary>
    public void MarkRunning(AssembledRun run, long? resumedFrom) => Guard("mark the run Running", store => store.Update(RunId!, r =>
    {
        r.Status = RunStatus.Running;
        r.History.Add(new StatusChange
        {
            Status = RunStatus.Running,
            AtUtc = DateTime.UtcNow,
            Message = (resumedFrom is { } s ? $"resumed from step {s}" : "started") + $" (pid {Environment.ProcessId})",
        });
        WorkerIdentity.Current().WriteTo(r);
        r.Device = run.Device.type.ToString().ToLowerInvariant();
        r.Plugins = run.Plugins.Select(p => new PluginRef { Kind = p.Kind, Id = p.Id, Version = p.Version, Sha256 = p.Sha256 }).ToList();
        r.GitCommit = RunInfo.GitCommit();
        r.Libraries = RunInfo.Libraries();
        r.TotalSteps = run.TotalSteps;
        r.ResumeRequested = false;
        r.Error = null;
    }));

    public void OnMetrics(long step, IReadOnlyDictionary<string, double> values) => Guard("record metrics", store =>
    {
        store.AppendMetrics(RunId!, step, values);
        store.Update(RunId!, r =>
        {
            r.Step = step + 1; // rows carry the index of the step just done
            if (values.TryGetValue("loss", out double loss) && double.IsFinite(loss)) r.LastLoss = loss;
        });
    });

    public void OnCheckpoint(long stepsDone, string folder) => Guard("record a checkpoint", store => store.AddArtifact(new ArtifactRecord
    {
        RunId = RunId!,
        Kind = "checkpoint",
        Path = folder,
        Step = stepsDone,
        Bytes = Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0,
    }));

    public void OnResumed(long step) => Guard("drop the metrics a resume repeats", store => store.TruncateMetricsFrom(RunId!, step));

    /// <summary>A fresh start (no checkpoint): rows of an earlier attempt go.</summary>
    public void ClearMetrics() => OnResumed(0);

    /// <summary>Completed, or Cancelled (resumable) when it stopped early: a stop request, or `train --max-steps`.</summary>
    public void Finish(TrainingSummary summary) => Transition(
        summary.Cancelled || summary.Steps < summary.TotalSteps ? RunStatus.Cancelled : RunStatus.Completed,
        summary.Cancelled ? $"stopped at step {summary.Steps} with a checkpoint; resume to continue"
        : summary.Steps < summary.TotalSteps ? $"stopped early at step {summary.Steps} of {summary.TotalSteps} (--max-steps); resume to continue"
        : $"{summary.Steps} steps in {summary.WallSeconds:F1} s",
        error: null,
        r =>
        {
            r.Step = summary.Steps;
            if (double.IsFinite(summary.LastLoss)) r.LastLoss = summary.LastLoss;
        });

    public void Fail(Exception e) => Transition(RunStatus.Failed, "the worker failed", Describe(e), _ => { });

    private void Transition(RunStatus status, string message, string? error, Action<RunRecord> change) => Guard($"mark the run {status}", store => store.Update(RunId!, r =>
    {
        change(r);
        r.Status = status;
        r.History.Add(new StatusChange { Status = status, AtUtc = DateTime.UtcNow, Message = message });
        WorkerIdentity.Clear(r);
        if (error is not null) r.Error = error;
    }));

    /// <summary>`eval`: one evaluation per result file, for the run whose folder is <paramref name="directory"/> (if the store has it).</summary>
    public void RecordEvaluations(string directory, IEnumerable<(EvalResult Result, string File, string Protocol)> results) => Guard("record evaluations", store =>
    {
        var run = store.FindByDirectory(directory);
        if (run is null) return; // a run folder the store never saw (made before the store, or elsewhere)
        foreach (var (result, file, protocol) in results)
        {
            store.AddEvaluation(new EvaluationRecord
            {
                Id = $"{run.Id}:{Path.GetFileNameWithoutExtension(file)}", // re-evaluating replaces the result
                RunId = run.Id,
                Protocol = protocol,
                Subject = result.Subject,
                LabelsPerClass = result.LabelsPerClass,
                CheckpointStep = CheckpointStep(result.Checkpoint),
                Top1 = result.Top1,
                Top5 = result.Top5,
                MeanPerClass = result.MeanPerClass,
                ValidationTop1 = result.Validation.Top1,
                Json = File.ReadAllText(file),
                CreatedUtc = DateTime.UtcNow,
            });
            store.AddArtifact(new ArtifactRecord { RunId = run.Id, Kind = "eval", Path = file, Bytes = new FileInfo(file).Length });
        }
    }, needsRun: false);

    /// <summary>The message a Failed run keeps: what went wrong, without a stack trace.</summary>
    public static string Describe(Exception e) =>
        e is ConfigException or Scott.Lab.Plugins.PluginException or Scott.Lab.Abstractions.Data.DatasetException or TrainingDivergedException
            ? e.Message
            : $"{e.GetType().Name}: {e.Message}";

    /// <summary>The step a checkpoint folder was saved at (its state.json), or null.</summary>
    public static long? CheckpointStep(string? checkpoint)
    {
        if (checkpoint is null) return null;
        try
        {
            string state = Path.Combine(checkpoint, "state.json");
            return File.Exists(state) ? JsonNode.Parse(File.ReadAllText(state))?["Step"]?.GetValue<long>() : null;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private void Guard(string what, Action<RunStore> action, bool needsRun = true)
    {
        if (_store is null || (needsRun && RunId is null)) return;
        try
        {
            action(_store);
        }
        catch (Exception e)
        {
            if (++_warnings > MaxWarnings) return;
            _log.WriteLine($"warning: run store {_store.DatabaseFile}: could not {what}: {e.Message}. Training goes on; the run folder has everything." +
                           (_warnings == MaxWarnings ? " (further store warnings are not shown)" : ""));
        }
    }

    public void Dispose()
    {
        if (_ownsStore) _store?.Dispose();
    }
}
