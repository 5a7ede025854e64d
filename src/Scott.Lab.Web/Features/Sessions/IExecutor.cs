using Scott.Lab.Runs;

namespace Scott.Lab.Web.Features.Sessions;

/// <summary>What an executor saw of a run's worker; <see cref="RunWatcher"/> turns it into the run's status.</summary>
public enum ExecutorEvent
{
    /// <summary>Submitted or started; waiting for resources (<see cref="ExecutorReport.Reason"/> says why).</summary>
    Pending,
    /// <summary>Running on <see cref="ExecutorReport.Node"/>.</summary>
    Running,
    /// <summary>The scheduler restarted it (requeue, preemption, node failure): its next attempt resumes the run.</summary>
    Requeued,
    /// <summary>It ended (<see cref="ExecutorReport.ExitCode"/>, and the scheduler's final state where there is one).</summary>
    Exited,
    /// <summary>The scheduler no longer knows it, and nothing says how it ended.</summary>
    Vanished,
}

/// <summary>One observation of a run's worker by its executor.</summary>
public sealed record ExecutorReport(string RunId, ExecutorEvent Event, string? JobId = null, string? State = null, string? Reason = null,
    string? Node = null, int Restarts = 0, string? ExitCode = null);

/// <summary>Raised when an executor cannot start a worker: the message names the command and what it said.</summary>
public sealed class ExecutorException(string message) : Exception(message);

/// <summary>
/// Runs a run's worker somewhere: <see cref="LocalExecutor"/> as a child process of the portal,
/// <see cref="SlurmExecutor"/> as a batch job. The queue (<see cref="SessionManager"/>) decides when; the executor
/// starts and stops; what it sees is reported as <see cref="ExecutorReport"/>s.
/// </summary>
public interface IExecutor
{
    /// <summary>"local" or "slurm": <c>ScottLab:Executor</c>, the launch's <c>executor</c>, <see cref="RunRecord.Executor"/>.</summary>
    string Name { get; }

    /// <summary>Starts the worker of a Queued run that holds <paramref name="claimToken"/>; throws <see cref="ExecutorException"/> when it can't.</summary>
    ExecutorHandle StartWorker(RunRecord run, string claimToken);

    /// <summary>Asks the worker to stop (SIGTERM: it finishes its step and saves a checkpoint).</summary>
    void Stop(ExecutorHandle handle);

    /// <summary>Ends the worker (after <see cref="Stop"/>'s grace period).</summary>
    void Kill(ExecutorHandle handle);
}

/// <summary>A started worker: a process (local) or a batch job (Slurm).</summary>
public sealed record ExecutorHandle(string RunId, int Pid = 0, System.Diagnostics.Process? Process = null, string? JobId = null);

/// <summary>The executors the portal knows, by name.</summary>
public static class Executors
{
    public const string Local = "local";
    public const string Slurm = "slurm";
    public static readonly string[] Names = [Local, Slurm];

    /// <summary>Null when <paramref name="name"/> is one of <see cref="Names"/>, else the problem naming the allowed ones.</summary>
    public static string? Problem(string? name) =>
        name is not null && Names.Contains(name) ? null : $"'{name}' is not an executor; use one of: {string.Join(", ", Names)}.";
}
