using System.Diagnostics;
using System.Runtime.InteropServices;
using Scott.Lab.Runs;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Features.Sessions;

/// <summary>
/// Workers as child processes of the portal (the default executor): <c>dotnet scott-lab.dll ARGS</c>, each in its own
/// session with its output appended to the run folder's log, so a crash takes down one run and never the portal, and
/// the worker outlives a portal restart. Stop is SIGTERM (a checkpoint is saved), Kill is SIGKILL.
/// </summary>
public sealed class LocalExecutor(WorkerCommandLine commandLine, PortalPaths paths) : IExecutor
{
    public string Name => Executors.Local;

    public ExecutorHandle StartWorker(RunRecord run, string claimToken)
    {
        Directory.CreateDirectory(run.Directory);
        var process = Start(commandLine.Worker(run, claimToken), Path.Combine(run.Directory, "worker.log"), $"worker for run {run.Id}");
        return new ExecutorHandle(run.Id, process.Id, process);
    }

    /// <summary>`scott-lab eval` for a run (evaluations run here, beside the portal, for every executor).</summary>
    public Process StartEvaluation(RunRecord run, string protocol, int? labelsPerClass, string? checkpoints = null) =>
        Start(commandLine.Evaluation(run, protocol, labelsPerClass, checkpoints), Path.Combine(run.Directory, "eval.log"), $"eval {protocol} of run {run.Id}");

    public void Stop(ExecutorHandle handle)
    {
        if (!Signal(handle.Pid, Sigterm)) handle.Process?.Kill(entireProcessTree: true);
    }

    public void Kill(ExecutorHandle handle)
    {
        if (!Signal(handle.Pid, Sigkill))
            try { handle.Process?.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    /// <summary>
    /// Waits for a worker to exit: its exit code for a child of this process; for one reattached after a portal
    /// restart (not our child) its pid (and start time, so a reused pid is not taken for it) is polled, and the code
    /// is unknown (null). Cancelled when the portal stops: the worker goes on.
    /// </summary>
    public async Task<int?> WaitForExitAsync(ExecutorHandle handle, WorkerIdentity? identity, TimeSpan poll, CancellationToken stopping)
    {
        if (handle.Process is { } process)
        {
            await process.WaitForExitAsync(stopping).ConfigureAwait(false);
            int code = process.ExitCode;
            process.Dispose();
            return code;
        }
        while (identity?.IsAlive() ?? WorkerIdentity.ProcessIsAlive(handle.Pid)) await Task.Delay(poll, stopping).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Starts <c>dotnet scott-lab.dll ARGS</c> with stdout and stderr appended to <paramref name="log"/>. On Unix the
    /// shell opens the log and execs the worker (same pid) in its own session: it writes to the file itself, so it
    /// outlives the portal, and a Ctrl+C meant for the portal does not reach it.
    /// </summary>
    private Process Start(WorkerInvocation invocation, string log, string what)
    {
        string dll = ScottLabCli.Dll;
        if (!File.Exists(dll))
            throw new InvalidOperationException($"{dll} not found: the portal starts workers with the CLI built beside it. Build src/Scott.Lab.Web (it references src/Scott.Lab.Cli).");
        File.AppendAllText(log, $"--- {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss}Z portal: starting {what}{Environment.NewLine}");
        ProcessStartInfo info;
        if (OperatingSystem.IsWindows())
        {
            info = new ProcessStartInfo(ScottLabCli.DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(dll);
        }
        else
        {
            const string script = "log=$1; shift; " +
                                  "if command -v setsid >/dev/null 2>&1; then exec setsid \"$@\" >>\"$log\" 2>&1 </dev/null; " +
                                  "else exec \"$@\" >>\"$log\" 2>&1 </dev/null; fi";
            info = new ProcessStartInfo("/bin/sh");
            foreach (var a in new[] { "-c", script, "scott-lab", log, ScottLabCli.DotnetHost(), dll }) info.ArgumentList.Add(a);
        }
        foreach (var a in invocation.Arguments) info.ArgumentList.Add(a);
        foreach (var (name, value) in invocation.Environment) info.Environment[name] = value;
        info.UseShellExecute = false;
        info.WorkingDirectory = paths.ContentRoot;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        if (OperatingSystem.IsWindows()) CopyOutput(process, log);
        return process;
    }

    private static void CopyOutput(Process process, string log)
    {
        var writer = new StreamWriter(log, append: true) { AutoFlush = true };
        var sync = TextWriter.Synchronized(writer);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) sync.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) sync.WriteLine(e.Data); };
        process.Exited += (_, _) => writer.Dispose();
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private const int Sigterm = 15, Sigkill = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    /// <summary>Sends a POSIX signal (SIGTERM lets the worker save a checkpoint; Process.Kill would not).</summary>
    private static bool Signal(int pid, int signal)
    {
        if (OperatingSystem.IsWindows() || pid <= 0) return false;
        try { return SysKill(pid, signal) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }
}
