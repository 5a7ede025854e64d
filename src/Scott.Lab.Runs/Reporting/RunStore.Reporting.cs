using Scott.Lab.Runs.Reporting;

namespace Scott.Lab.Runs;

public sealed partial class RunStore
{
    /// <summary>
    /// Applies a worker's events to run <paramref name="runId"/> in one transaction (the store's machine-wide lock):
    /// the one applier behind both reporting paths (the CLI's in-process recorder and the portal's ingest API).
    /// Sequenced events at or below the run's <see cref="RunRecord.ReportedSequence"/> were applied before and are
    /// skipped; metrics rows are keyed by (run, step). Returns the run's highest applied sequence, or null when there
    /// is no such run. Records an event carries are always filed under this run, whatever run id they name.
    /// </summary>
    public long? ApplyEvents(string runId, IReadOnlyList<RunEvent> events)
    {
        if (!_db.BeginTrans()) throw new InvalidOperationException("RunStore: a transaction is already open on this thread.");
        try
        {
            var run = _runs.FindById(runId);
            if (run is null) { _db.Rollback(); return null; }
            long applied = run.ReportedSequence;
            foreach (var e in events)
            {
                if (e.Seq > 0 && e.Seq <= applied) continue; // a replay
                Apply(run, e);
                if (e.Seq > applied) applied = e.Seq;
            }
            run.ReportedSequence = applied;
            run.UpdatedUtc = DateTime.UtcNow;
            _runs.Update(run);
            _db.Commit();
            return applied;
        }
        catch
        {
            _db.Rollback();
            throw;
        }
    }

    /// <summary>The job, when a worker of the run's Slurm job stopped (Cancelled) without anyone asking it to.</summary>
    private static string? StoppedBySlurm(RunRecord run, RunEvent e) =>
        e is { Kind: RunEventKind.Finished, Status: RunStatus.Cancelled, JobId: { } job } && run.IsSlurm && !run.StopRequested && run.JobId == job ? job : null;

    /// <summary>
    /// The record of a CLI `train` (source "cli"): for --resume the run this store has for its folder, else a new one
    /// (under <paramref name="id"/> when given: `adopt` keeps a folder's own id). The one way the CLI's own store, the
    /// portal's ingest API and `adopt` record it.
    /// </summary>
    public RunRecord RecordCliRun(CliRunRequest request, string? id = null) =>
        (request.Resuming ? FindByDirectory(request.Directory) : null) ?? Create(new RunRecord
        {
            Id = id ?? "",
            Name = request.Name,
            Directory = request.Directory,
            Spec = request.Spec,
            Source = "cli",
            Dataset = request.Dataset,
            Tokenizer = request.Tokenizer,
            Objective = request.Objective,
            Status = RunStatus.Queued,
            TotalSteps = request.TotalSteps,
        });

    private void Apply(RunRecord run, RunEvent e)
    {
        var at = e.AtUtc == default ? DateTime.UtcNow : DateTime.SpecifyKind(e.AtUtc, DateTimeKind.Utc);
        switch (e.Kind)
        {
            case RunEventKind.Running:
                run.Status = RunStatus.Running;
                run.History.Add(new StatusChange { Status = RunStatus.Running, AtUtc = at, Message = e.Message });
                if (e.WorkerPid is { } pid && e.WorkerStartedUtc is { } started && !string.IsNullOrEmpty(e.WorkerHost))
                    new WorkerIdentity(pid, DateTime.SpecifyKind(started, DateTimeKind.Utc), e.WorkerHost).WriteTo(run);
                run.Device = e.Device ?? run.Device;
                if (e.Plugins is not null) run.Plugins = e.Plugins;
                run.GitCommit = e.GitCommit;
                if (e.Libraries is not null) run.Libraries = e.Libraries;
                if (e.TotalSteps is { } total) run.TotalSteps = total;
                run.ResumeRequested = false;
                run.Error = null;
                break;
            case RunEventKind.Metrics:
                long step = e.Step!.Value;
                _metrics.Upsert(new MetricRow { Id = MetricId(run.Id, step), RunId = run.Id, Step = step, Values = new Dictionary<string, double>(e.Values!) });
                run.Step = step; // rows are numbered by the steps done (1 after the first step), like checkpoints
                if (e.Values!.TryGetValue("loss", out double loss) && double.IsFinite(loss)) run.LastLoss = loss;
                break;
            case RunEventKind.Truncate:
                TruncateMetricsFrom(run.Id, e.Step!.Value);
                break;
            case RunEventKind.Artifact:
                var artifact = e.Artifact!;
                artifact.RunId = run.Id;
                AddArtifact(artifact);
                break;
            case RunEventKind.Evaluation:
                var evaluation = e.Evaluation!;
                // Ids are "run:name"; another run's id is refiled under this run, never overwriting that run's result.
                int colon = evaluation.Id.IndexOf(':');
                evaluation.Id = $"{run.Id}:{(colon >= 0 ? evaluation.Id[(colon + 1)..] : evaluation.Id)}";
                evaluation.RunId = run.Id;
                AddEvaluation(evaluation);
                break;
            case RunEventKind.EvaluationProgress:
                ApplyEvaluationProgress(run, e.Progress!);
                break;
            case RunEventKind.Resources:
                AddResourceSample(run.Id, e.Sample!);
                break;
            case RunEventKind.Finished:
            case RunEventKind.Failed:
                if (e.Step is { } done) run.Step = done;
                if (e.LastLoss is { } last && double.IsFinite(last)) run.LastLoss = last;
                if (StoppedBySlurm(run, e) is { } job)
                {
                    // Nobody cancelled it: Slurm stopped this attempt. The run stays Running for the job's next attempt,
                    // which resumes from the checkpoint the worker just saved.
                    run.History.Add(new StatusChange
                    {
                        Status = RunStatus.Running, AtUtc = at,
                        Message = $"Slurm job {job} stopped this attempt at step {run.Step} with a checkpoint; the job's next attempt resumes it",
                    });
                    break;
                }
                var status = e.Kind == RunEventKind.Failed ? RunStatus.Failed : e.Status!.Value;
                run.Status = status;
                run.History.Add(new StatusChange { Status = status, AtUtc = at, Message = e.Message });
                WorkerIdentity.Clear(run);
                if (e.Error is not null) run.Error = e.Error;
                break;
        }
    }

    /// <summary>
    /// A newer snapshot replaces the run's evaluation progress; an older one (a journal replayed later, an `eval`'s
    /// last words after the portal recorded that it was cancelled) changes nothing.
    /// </summary>
    internal static bool ApplyEvaluationProgress(RunRecord run, EvaluationProgress progress)
    {
        progress.UpdatedUtc = DateTime.SpecifyKind(progress.UpdatedUtc, DateTimeKind.Utc);
        if (run.EvaluationProgress is { } current && current.UpdatedUtc > progress.UpdatedUtc) return false;
        run.EvaluationProgress = progress;
        return true;
    }
}
