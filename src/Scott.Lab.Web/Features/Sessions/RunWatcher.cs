using Scott.Lab.Runs;

namespace Scott.Lab.Web.Features.Sessions;

/// <summary>
/// Turns what an executor saw of a run's worker (<see cref="ExecutorReport"/>) into the run's record: the job's
/// state, reason, node and restarts while it lives; and when it ended without the worker recording an outcome,
/// the status: Cancelled (someone cancelled it), Failed (it failed) or Interrupted (it ended or vanished otherwise).
/// Local workers: their exit (<see cref="LocalWorkerExited"/>) and trainers found gone (<see cref="MarkInterrupted"/>).
/// The worker records its own progress and outcome; this records only what the worker could not.
/// </summary>
public static class RunWatcher
{
    /// <param name="logTail">The end of the job's log, for a Failed run's error.</param>
    /// <returns>The updated run, or null when nothing changed (or the report is about a job the run no longer has).</returns>
    public static RunRecord? Apply(RunStore store, ExecutorReport report, Func<RunRecord, string> logTail)
    {
        return store.TryUpdate(report.RunId, r =>
        {
            if (report.JobId is not null && r.JobId is not null && r.JobId != report.JobId) return false; // a resume submitted another job
            bool changed = false;
            string? state = report.Event == ExecutorEvent.Vanished ? "VANISHED" : report.State;
            if (state is not null && r.JobState != state) { r.JobState = state; changed = true; }
            if (r.JobReason != report.Reason) { r.JobReason = report.Reason; changed = true; }
            if (report.Node is not null && r.JobNode != report.Node) { r.JobNode = report.Node; changed = true; }
            if (report.Event == ExecutorEvent.Requeued)
            {
                r.History.Add(new StatusChange
                {
                    Status = r.Status, AtUtc = DateTime.UtcNow,
                    Message = $"Slurm restarted job {r.JobId} (restart {report.Restarts}, now {Describe(state, report.Reason)}): its next attempt resumes from the latest checkpoint",
                });
                changed = true;
            }
            if (report.Event != ExecutorEvent.Vanished && report.Restarts > r.JobRestarts) { r.JobRestarts = report.Restarts; changed = true; }
            if (report.Event is ExecutorEvent.Exited or ExecutorEvent.Vanished && r.Status is RunStatus.Queued or RunStatus.Running)
            {
                End(r, report, state ?? "unknown", logTail);
                changed = true;
            }
            return changed;
        });
    }

    private static void End(RunRecord r, ExecutorReport report, string state, Func<RunRecord, string> logTail)
    {
        string job = $"Slurm job {r.JobId}";
        string ended = report.Event == ExecutorEvent.Vanished
            ? $"{job} vanished from Slurm (neither scontrol nor sacct knows it)"
            : $"{job} ended {Describe(state, report.Reason)}{(report.ExitCode is { } code && code != "0:0" ? $", exit code {code}" : "")}";
        RunStatus status;
        string message;
        string? error;
        if (r.StopRequested)
        {
            (status, message, error) = (RunStatus.Cancelled, $"cancelled: {ended}; resume continues from the latest checkpoint", null);
        }
        else if (state is "FAILED" or "OUT_OF_MEMORY")
        {
            (status, message) = (RunStatus.Failed, $"{ended} without finishing the run");
            error = $"{ended} without finishing the run. Resume continues from the latest checkpoint. The end of its log:{Environment.NewLine}{logTail(r)}";
        }
        else
        {
            (status, message) = (RunStatus.Interrupted, $"{ended} without finishing the run; resume it");
            error = $"{ended} while the run was {r.Status}, without the run finishing: cancelled outside the portal (scancel), a time limit, " +
                    "or a node failure or preemption that was not requeued. Resume it to continue from its latest checkpoint.";
        }
        r.Status = status;
        r.History.Add(new StatusChange { Status = status, AtUtc = DateTime.UtcNow, Message = message });
        r.Error = error;
        WorkerIdentity.Clear(r);
    }

    /// <summary>
    /// Interrupted, when the run is still Running with the same trainer (it may have recorded its end meanwhile): a
    /// local trainer that is gone without recording an outcome. True when it changed the run.
    /// </summary>
    public static bool MarkInterrupted(RunStore store, RunRecord seen, string why)
    {
        var changed = store.TryUpdate(seen.Id, r =>
        {
            if (r.Status != RunStatus.Running || r.WorkerPid != seen.WorkerPid) return false;
            r.Status = RunStatus.Interrupted;
            r.History.Add(new StatusChange { Status = RunStatus.Interrupted, AtUtc = DateTime.UtcNow, Message = $"{why}; resume it" });
            r.Error = $"{char.ToUpperInvariant(why[0])}{why[1..]} without recording an outcome: killed (e.g. kill -9), crashed, or its machine restarted. " +
                      "Resume it to continue from its latest checkpoint.";
            WorkerIdentity.Clear(r);
            return true;
        });
        return changed is not null;
    }

    /// <summary>
    /// A local worker exited and left its run unfinished (killed, crashed, out of memory): Failed with the exit code and
    /// the end of its log, or Cancelled when it was killed after a cancel's grace period. Returns the exit code in words.
    /// </summary>
    public static string LocalWorkerExited(RunStore store, RunRecord run, int pid, int? exitCode, bool cancelRequested, TimeSpan grace, Func<string> logTail)
    {
        string code = exitCode is { } c ? $"code {c}{SignalName(c)}" : "an unknown code (reattached after a portal restart)";
        if (cancelRequested)
        {
            store.SetStatus(run.Id, RunStatus.Cancelled, $"the worker did not stop within {grace.TotalSeconds:F0} s and was killed; resume continues from the latest checkpoint");
            return code;
        }
        string tail = logTail();
        store.Update(run.Id, r =>
        {
            r.Status = RunStatus.Failed;
            r.History.Add(new StatusChange { Status = RunStatus.Failed, AtUtc = DateTime.UtcNow, Message = $"the worker exited with {code}" });
            r.Error = $"The worker (pid {pid}) exited with {code} without finishing the run. Resume continues from the latest checkpoint. " +
                      $"The end of worker.log:{Environment.NewLine}{tail}";
            WorkerIdentity.Clear(r);
        });
        return code;
    }

    private static string SignalName(int exitCode) => exitCode switch
    {
        137 => " (SIGKILL: killed, e.g. kill -9 or out of memory)",
        143 => " (SIGTERM)",
        134 => " (SIGABRT: the runtime aborted)",
        139 => " (SIGSEGV: a native crash)",
        _ => "",
    };

    /// <summary><c>PENDING (Resources)</c>, or the state alone.</summary>
    public static string Describe(string? state, string? reason) => reason is null ? state ?? "unknown" : $"{state} ({reason})";
}
