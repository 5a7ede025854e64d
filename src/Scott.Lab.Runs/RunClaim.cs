namespace Scott.Lab.Runs;

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
    /// </summary>
    public static (RunRecord? Run, string? Refusal) TryClaim(RunStore store, string runId, string? token, WorkerIdentity me)
    {
        string? refusal = $"there is no run '{runId}'";
        var claimed = store.TryUpdate(runId, run =>
        {
            refusal = Refusal(run, token);
            if (refusal is not null) return false;
            run.Status = RunStatus.Running;
            run.History.Add(new StatusChange { Status = RunStatus.Running, AtUtc = DateTime.UtcNow, Message = $"claimed by worker {me}" });
            me.WriteTo(run);
            run.ClaimToken = null;
            return true;
        });
        return claimed is null ? (null, refusal) : (claimed, null);
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
