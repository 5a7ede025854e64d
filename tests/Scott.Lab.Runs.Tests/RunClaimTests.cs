using Scott.Lab.Runs;

namespace Scott.Lab.Runs.Tests;

/// <summary>Who may claim a run: a portal's worker with its token; in a Slurm job, only a later attempt of the run's job.</summary>
public sealed class RunClaimTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "scott-lab-tests", "claim-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>A worker on another machine: this one can't tell whether it lives (so only the claim rules decide).</summary>
    private static WorkerIdentity Elsewhere(int pid) => new(pid, DateTime.UtcNow, "node-" + pid);

    [Fact]
    public void ALaterAttemptOfTheRunsSlurmJobReclaimsItAndNoEarlierOrOtherWorkerCan()
    {
        using var store = new RunStore(_dir);
        var run = store.Create(new RunRecord { Name = "r", Source = "portal", Status = RunStatus.Queued, Executor = "slurm", ClaimToken = "tok" });

        // Attempt 0 starts before the portal recorded the job id: the token is enough, and the id is written.
        var (first, refusal) = RunClaim.TryClaim(store, run.Id, "tok", Elsewhere(100), new JobAttempt("77", 0));
        Assert.True(first is not null, refusal);
        Assert.Equal(("77", 0, RunStatus.Running, "tok"), (first.JobId, first.JobClaimedAttempt, first.Status, first.ClaimToken));

        // The same attempt again (a stale copy), another job, or a wrong token: refused while the run is Running.
        Assert.Null(RunClaim.TryClaim(store, run.Id, "tok", Elsewhere(101), new JobAttempt("77", 0)).Run);
        Assert.Null(RunClaim.TryClaim(store, run.Id, "tok", Elsewhere(102), new JobAttempt("78", 5)).Run);
        Assert.Null(RunClaim.TryClaim(store, run.Id, "other", Elsewhere(103), new JobAttempt("77", 1)).Run);
        Assert.Null(RunClaim.TryClaim(store, run.Id, "tok", Elsewhere(104)).Run); // not in a Slurm job

        // Slurm requeued the job: attempt 1 takes over; attempt 0 can't come back.
        var (second, why) = RunClaim.TryClaim(store, run.Id, "tok", Elsewhere(105), new JobAttempt("77", 1));
        Assert.True(second is not null, why);
        Assert.Equal((105, 1), (second.WorkerPid!.Value, second.JobClaimedAttempt!.Value));
        Assert.Contains("not a later one", RunClaim.TryClaim(store, run.Id, "tok", Elsewhere(106), new JobAttempt("77", 0)).Refusal);

        // A finished run is nobody's.
        store.SetStatus(run.Id, RunStatus.Cancelled);
        Assert.Null(RunClaim.TryClaim(store, run.Id, "tok", Elsewhere(107), new JobAttempt("77", 2)).Run);
    }

    [Fact]
    public void ALocalRunsTokenIsSpentAtItsClaim()
    {
        using var store = new RunStore(_dir);
        var run = store.Create(new RunRecord { Name = "l", Source = "portal", Status = RunStatus.Queued, ClaimToken = "tok" });
        // A local run is not re-claimable through a job attempt even when the worker happens to run inside a Slurm allocation.
        var (claimed, refusal) = RunClaim.TryClaim(store, run.Id, "tok", Elsewhere(200), new JobAttempt("9", 0));
        Assert.True(claimed is not null, refusal);
        Assert.Null(claimed.ClaimToken);
        Assert.Null(claimed.JobId);
        Assert.Null(RunClaim.TryClaim(store, run.Id, "tok", Elsewhere(201), new JobAttempt("9", 1)).Run);
    }
}
