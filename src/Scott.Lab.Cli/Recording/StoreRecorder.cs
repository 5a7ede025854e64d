using System.Text.Json.Nodes;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Evaluation;
using Scott.Lab.Engine.Training;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Reporting;

namespace Scott.Lab.Cli.Recording;

/// <summary>
/// Records a run in the local run store (DATA/scott-lab.db) while it trains: status, the plugins and versions it
/// was built from, each metrics row, progress, checkpoints and evaluations, as <see cref="RunEvent"/>s applied by
/// <see cref="RunStore.ApplyEvents"/>. Used by `train`/`eval` without a portal and by `worker` in store mode.
/// The run folder stays the source of truth, so a store problem is a warning on stderr and never stops training.
/// </summary>
public sealed class StoreRecorder : RunReporter
{
    private const int MaxWarnings = 3;
    private readonly RunStore? _store;
    private readonly bool _ownsStore;
    private readonly TextWriter _log;
    private int _warnings;

    private StoreRecorder(RunStore? store, bool ownsStore, string? runId, TextWriter log) =>
        (_store, _ownsStore, _runId, _log) = (store, ownsStore, runId, log);

    /// <summary>The run being recorded; null when the store could not be opened or the run not created.</summary>
    public override string? RunId => _runId;
    private string? _runId;

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
    public void AttachCliRun(CliRunRequest request) => Guard("record the run", store => _runId = store.RecordCliRun(request).Id, needsRun: false);

    /// <summary>Applies one event in process, through the store's one applier (the portal's ingest uses the same).</summary>
    /// <remarks>Under a lock: the resource sampler reports from its timer thread while training reports from its own.</remarks>
    protected override void Emit(RunEvent e)
    {
        lock (_emitGate) Guard($"record {e.Kind}", store => store.ApplyEvents(RunId!, [e]));
    }

    private readonly object _emitGate = new();

    /// <summary>`eval`: report for the run whose folder is <paramref name="directory"/>, when the store has one (else nothing is recorded).</summary>
    public void AttachByDirectory(string directory) => Guard("find the run", store => _runId = store.FindByDirectory(directory)?.Id, needsRun: false);

    /// <summary>`eval`: one evaluation per result file, for the run whose folder is <paramref name="directory"/> (if the store has it).</summary>
    public void RecordEvaluations(string directory, IEnumerable<(EvalResult Result, string File, string Protocol)> results) => Guard("record evaluations", store =>
    {
        var run = store.FindByDirectory(directory);
        if (run is null) return; // a run folder the store never saw (made before the store, or elsewhere)
        store.ApplyEvents(run.Id, RunEvents.Evaluations(run.Id, results).ToList());
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

    public override void Dispose()
    {
        base.Dispose();
        if (_ownsStore) _store?.Dispose();
    }
}
