using System.Diagnostics;

namespace Scott.Lab.Runs;

/// <summary>
/// Which process trains a run: pid, the process's start time and the machine. A pid alone is not enough: pids are
/// reused, so a run whose trainer died could look alive when an unrelated process gets its pid. The start time tells
/// the two apart, and the host says whether this machine can check at all (a run in a shared data folder may be
/// trained elsewhere).
/// </summary>
public sealed record WorkerIdentity(int Pid, DateTime StartedUtc, string Host)
{
    /// <summary>Start times read twice differ by rounding (clock ticks, boot-time arithmetic); pids are not reused that fast.</summary>
    private static readonly TimeSpan StartTolerance = TimeSpan.FromSeconds(2);

    /// <summary>This process.</summary>
    public static WorkerIdentity Current()
    {
        using var self = Process.GetCurrentProcess();
        return new WorkerIdentity(self.Id, self.StartTime.ToUniversalTime(), Environment.MachineName);
    }

    /// <summary>The identity recorded for a run's trainer, or null when the run has no pid (or predates start times).</summary>
    public static WorkerIdentity? Of(RunRecord run) =>
        run.WorkerPid is { } pid && run.WorkerStartedUtc is { } started && !string.IsNullOrEmpty(run.WorkerHost)
            ? new WorkerIdentity(pid, DateTime.SpecifyKind(started, DateTimeKind.Utc), run.WorkerHost) : null;

    /// <summary>Writes this identity into a run (while it is Running).</summary>
    public void WriteTo(RunRecord run)
    {
        run.WorkerPid = Pid;
        run.WorkerStartedUtc = StartedUtc;
        run.WorkerHost = Host;
    }

    /// <summary>Clears a run's trainer (it is no longer Running).</summary>
    public static void Clear(RunRecord run)
    {
        run.WorkerPid = null;
        run.WorkerStartedUtc = null;
        run.WorkerHost = null;
    }

    public bool IsThisHost => string.Equals(Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// True when this process still runs: same pid, same start time, not a zombie. Null when it can't be told
    /// from here (another machine).
    /// </summary>
    public bool? IsAlive()
    {
        if (!IsThisHost) return null;
        if (!ProcessIsAlive(Pid)) return false;
        try
        {
            using var process = Process.GetProcessById(Pid);
            return (process.StartTime.ToUniversalTime() - StartedUtc).Duration() <= StartTolerance;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public override string ToString() => $"pid {Pid} on {Host}, started {StartedUtc:yyyy-MM-dd HH:mm:ss}Z";

    /// <summary>True while the process exists and is not a zombie (a killed child its parent has not reaped yet).</summary>
    public static bool ProcessIsAlive(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                string stat = File.ReadAllText($"/proc/{pid}/stat");
                int close = stat.LastIndexOf(')');
                return close > 0 && close + 2 < stat.Length && stat[close + 2] is not ('Z' or 'X');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}
