namespace Scott.Lab.Runs;

/// <summary>
/// One attempt of a batch-scheduler job (Slurm): the job id and how often the scheduler restarted it
/// (SLURM_JOB_ID, SLURM_RESTART_COUNT). A requeued, preempted or node-failed job runs its script again as the next attempt.
/// </summary>
public sealed record JobAttempt(string JobId, int Restart)
{
    /// <summary>This process's attempt, from the variables Slurm sets; null outside a Slurm job.</summary>
    public static JobAttempt? FromEnvironment()
    {
        if (Environment.GetEnvironmentVariable("SLURM_JOB_ID") is not { Length: > 0 } id) return null;
        int restart = int.TryParse(Environment.GetEnvironmentVariable("SLURM_RESTART_COUNT"), out int n) ? n : 0;
        return new JobAttempt(id, restart);
    }

    public override string ToString() => $"Slurm job {JobId} (attempt {Restart})";
}

/// <summary>
/// A worker's claim on the run it is about to train, taken in one store transaction (the store's machine-wide lock),
/// so that two workers can never both train a run: the second claimant is refused and exits without training.
/// </summary>
public static class RunClaim
{
    /// <summary>
    /// Marks the run Running with <paramref name="me"/> as its worker, or says why not. With a
    /// <paramref name="token"/> (a worker the portal started) the run must still be Queued with that token: a portal
    /// that restarted and queued the run again gave it a new one. Without a token (a worker started by hand) any run that is
    /// not Completed and not being trained by a live worker may be claimed.
    /// A worker in a Slurm job (<paramref name="job"/>) of the run's job may also claim the run while it is Running,
    /// when it is a later attempt than the one that claimed it: Slurm restarted the job (requeue, preemption, node
    /// failure) and the earlier attempt is gone. Its token stays on the run for the next attempt.
    /// </summary>
    public static (RunRecord? Run, string? Refusal) TryClaim(RunStore store, string runId, string? token, WorkerIdentity me, JobAttempt? job = null)
    {
        string? refusal = $"there is no run '{runId}'";
        var claimed = store.TryUpdate(runId, run =>
        {
            bool ofTheJob = IsAttemptOfTheRunsJob(run, token, job);
            refusal = ofTheJob ? JobRefusal(run, job!) : Refusal(run, token);
            if (refusal is not null) return false;
            string by = ofTheJob ? $"worker {me}, {job}" : $"worker {me}";
            run.History.Add(new StatusChange { Status = RunStatus.Running, AtUtc = DateTime.UtcNow, Message = $"claimed by {by}" });
            run.Status = RunStatus.Running;
            me.WriteTo(run);
            if (ofTheJob)
            {
                run.JobId = job!.JobId; // the job may start before the portal has recorded its id
                run.JobClaimedAttempt = job.Restart;
            }
            else
            {
                run.ClaimToken = null;
            }
            return true;
        });
        return claimed is null ? (null, refusal) : (claimed, null);
    }

    private static bool IsAttemptOfTheRunsJob(RunRecord run, string? token, JobAttempt? job) =>
        job is not null && token is not null && run.IsSlurm && run.ClaimToken == token && (run.JobId is null || run.JobId == job.JobId);

    private static string? JobRefusal(RunRecord run, JobAttempt job)
    {
        if (run.Status == RunStatus.Queued) return null;
        if (run.Status != RunStatus.Running) return $"run {run.Id} is {run.Status}: {job} does not train it";
        if (run.JobClaimedAttempt is { } claimedBy && job.Restart <= claimedBy)
            return $"run {run.Id} was claimed by attempt {claimedBy} of Slurm job {job.JobId}; this attempt ({job.Restart}) is not a later one";
        return null;
    }

    private static string? Refusal(RunRecord run, string? token)
    {
        if (run.Status == RunStatus.Completed) return $"run {run.Id} is already Completed";
        if (run.Status == RunStatus.Running && TrainerMayBeAlive(run))
            return $"run {run.Id} is already being trained by {Describe(run)}";
        if (token is null) return null;
        if (run.Status != RunStatus.Queued) return $"run {run.Id} is {run.Status}, not Queued: this worker's start was superseded";
        if (run.ClaimToken != token)
            return $"run {run.Id} was queued again for another worker (a portal restart or a second start): this worker's claim token is stale";
        return null;
    }

    /// <summary>Alive, or can't be told (another machine, or a record from before start times were kept: then the pid decides).</summary>
    private static bool TrainerMayBeAlive(RunRecord run) =>
        WorkerIdentity.Of(run) is { } identity
            ? identity.IsAlive() != false
            : run.WorkerPid is { } pid && WorkerIdentity.ProcessIsAlive(pid);

    private static string Describe(RunRecord run) =>
        WorkerIdentity.Of(run)?.ToString() ?? (run.WorkerPid is { } pid ? $"pid {pid}" : "another worker");
}
