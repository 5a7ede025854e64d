using Scott.Lab.Engine.Training;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Reporting;

namespace Scott.Lab.Cli.Recording;

/// <summary>
/// What `worker`, `train` and `eval` tell about a run while it trains. Two implementations, one event model
/// (<see cref="RunEvent"/>): <see cref="StoreRecorder"/> applies the events to the local run store in process (a CLI
/// run without a portal); <see cref="PortalRecorder"/> journals them in the run folder and sends them to the portal.
/// </summary>
public interface IRunRecorder : ITrainingSink, IDisposable
{
    string? RunId { get; }
    void MarkRunning(AssembledRun run, long? resumedFrom);
    /// <summary>A fresh start (no checkpoint): rows of an earlier attempt go.</summary>
    void ClearMetrics();
    void Finish(TrainingSummary summary);
    void Fail(Exception e);
    /// <summary>Any other event (resource samples, an `eval`'s progress and results); never throws.</summary>
    void Record(RunEvent e);
}

/// <summary>Turns the training calls into <see cref="RunEvent"/>s; the subclass decides where they go.</summary>
public abstract class RunReporter : IRunRecorder
{
    public abstract string? RunId { get; }

    /// <summary>Records one event; never throws (training must not stop for the record of it).</summary>
    protected abstract void Emit(RunEvent e);

    public void MarkRunning(AssembledRun run, long? resumedFrom) => Emit(RunEvents.Running(run, resumedFrom));
    public void OnMetrics(long step, IReadOnlyDictionary<string, double> values) => Emit(RunEvents.Metrics(step, values));
    public void OnCheckpoint(long stepsDone, string folder) => Emit(RunEvents.Checkpoint(stepsDone, folder));
    public void OnResumed(long step) => Emit(RunEvents.Truncate(step));
    public void ClearMetrics() => OnResumed(0);
    public void Finish(TrainingSummary summary) => Emit(RunEvents.Finished(summary));
    public void Fail(Exception e) => Emit(RunEvents.Failed(e));

    /// <summary>Records events that are not part of training (an `eval`'s results, progress and resource samples).</summary>
    public void Record(RunEvent e) => Emit(e);

    public void Record(IEnumerable<RunEvent> events)
    {
        foreach (var e in events) Emit(e);
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>The events of a run's life, built once for both reporting paths.</summary>
public static class RunEvents
{
    public static RunEvent Running(AssembledRun run, long? resumedFrom)
    {
        var me = WorkerIdentity.Current();
        return new RunEvent
        {
            Kind = RunEventKind.Running,
            AtUtc = DateTime.UtcNow,
            Message = (resumedFrom is { } s ? $"resumed from step {s}" : "started") + $" (pid {Environment.ProcessId})",
            WorkerPid = me.Pid,
            WorkerStartedUtc = me.StartedUtc,
            WorkerHost = me.Host,
            Device = run.Device.type.ToString().ToLowerInvariant(),
            Plugins = run.Plugins.Select(p => new PluginRef { Kind = p.Kind, Id = p.Id, Version = p.Version, Sha256 = p.Sha256 }).ToList(),
            GitCommit = RunInfo.GitCommit(),
            Libraries = RunInfo.Libraries(),
            TotalSteps = run.TotalSteps,
        };
    }

    /// <summary>What `train` records of a CLI run, in the local store or in a portal (<see cref="RunStore.RecordCliRun"/>).</summary>
    public static CliRunRequest CliRun(AssembledRun run, string directory, string name, bool resuming) => new()
    {
        Name = name,
        Directory = directory,
        Spec = run.Resolved,
        Dataset = run.Spec.Dataset.Id,
        Tokenizer = run.Spec.Tokenizer.Id,
        Objective = run.Spec.Objective.Id,
        TotalSteps = run.TotalSteps,
        Resuming = resuming,
    };

    public static RunEvent Metrics(long step, IReadOnlyDictionary<string, double> values) =>
        new() { Kind = RunEventKind.Metrics, AtUtc = DateTime.UtcNow, Step = step, Values = new Dictionary<string, double>(values) };

    public static RunEvent Truncate(long step) => new() { Kind = RunEventKind.Truncate, AtUtc = DateTime.UtcNow, Step = step };

    public static RunEvent Checkpoint(long stepsDone, string folder) => new()
    {
        Kind = RunEventKind.Artifact,
        AtUtc = DateTime.UtcNow,
        Artifact = new ArtifactRecord
        {
            Kind = "checkpoint",
            Path = folder,
            Step = stepsDone,
            Bytes = Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0,
            CreatedUtc = DateTime.UtcNow,
        },
    };

    /// <summary>Completed, or Cancelled (resumable) when it stopped early: a stop request, or `train --max-steps`.</summary>
    public static RunEvent Finished(TrainingSummary summary) => new()
    {
        Kind = RunEventKind.Finished,
        AtUtc = DateTime.UtcNow,
        Status = summary.Cancelled || summary.Steps < summary.TotalSteps ? RunStatus.Cancelled : RunStatus.Completed,
        Message = summary.Cancelled ? $"stopped at step {summary.Steps} with a checkpoint; resume to continue"
            : summary.Steps < summary.TotalSteps ? $"stopped early at step {summary.Steps} of {summary.TotalSteps} (--max-steps); resume to continue"
            : $"{summary.Steps} steps in {summary.WallSeconds:F1} s",
        Step = summary.Steps,
        LastLoss = double.IsFinite(summary.LastLoss) ? summary.LastLoss : null,
        JobId = summary.Cancelled ? JobAttempt.FromEnvironment()?.JobId : null,
    };

    public static RunEvent Failed(Exception e) => new()
    {
        Kind = RunEventKind.Failed,
        AtUtc = DateTime.UtcNow,
        Status = RunStatus.Failed,
        Message = "the worker failed",
        Error = StoreRecorder.Describe(e),
    };

    /// <summary>`eval`: an evaluation record and its result file, per result (keyed by run and file: re-evaluating replaces).</summary>
    public static IEnumerable<RunEvent> Evaluations(string runId, IEnumerable<(Engine.Evaluation.EvalResult Result, string File, string Protocol)> results)
    {
        foreach (var (result, file, protocol) in results)
        {
            yield return new RunEvent
            {
                Kind = RunEventKind.Evaluation,
                AtUtc = DateTime.UtcNow,
                Evaluation = new EvaluationRecord
                {
                    Id = $"{runId}:{Path.GetFileNameWithoutExtension(file)}",
                    RunId = runId,
                    Protocol = protocol,
                    Subject = result.Subject,
                    LabelsPerClass = result.LabelsPerClass,
                    CheckpointStep = StoreRecorder.CheckpointStep(result.Checkpoint),
                    Top1 = result.Top1,
                    Top5 = result.Top5,
                    MeanPerClass = result.MeanPerClass,
                    ValidationTop1 = result.Validation.Top1,
                    Classes = result.Classes,
                    Json = File.ReadAllText(file),
                    CreatedUtc = DateTime.UtcNow,
                },
            };
            yield return new RunEvent
            {
                Kind = RunEventKind.Artifact,
                AtUtc = DateTime.UtcNow,
                Artifact = new ArtifactRecord { RunId = runId, Kind = "eval", Path = file, Bytes = new FileInfo(file).Length, CreatedUtc = DateTime.UtcNow },
            };
        }
    }
}
