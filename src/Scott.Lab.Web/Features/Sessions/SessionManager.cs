using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Scott.Lab.Engine.Config;
using Scott.Lab.Runs;
using Scott.Lab.Web.Hosting;
using Scott.Lab.Web.Features.Plugins;

namespace Scott.Lab.Web.Features.Sessions;

/// <summary>
/// Training sessions: each run trains in its own `scott-lab worker` process, so a crash or a kill takes down one
/// run and never the portal, and a portal restart does not stop training. Launched runs wait in a queue with a
/// concurrency limit per device (<see cref="PortalOptions.MaxConcurrentRunsPerDevice"/>). The run store is the
/// shared state: the worker records its own progress and outcome; this class only starts, stops and watches
/// workers, and records what a worker could not (a kill, a crash, a portal restart).
/// </summary>
public sealed class SessionManager : IRunLauncher, IHostedService, IDisposable
{
    private const int LogTailLines = 40;
    private static readonly string[] Protocols = ["linear", "knn", "attentive", "all"];

    private readonly RunStore _store;
    private readonly PortalPlugins _plugins;
    private readonly PortalPaths _paths;
    private readonly PortalOptions _options;
    private readonly ILogger<SessionManager> _logger;
    private readonly object _gate = new();
    private readonly List<string> _queue = []; // run ids, in launch order
    private readonly Dictionary<string, Worker> _active = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lazy<bool> _cudaAvailable = new(() => TorchSharp.torch.cuda.is_available());
    private bool _started;

    public SessionManager(RunStore store, PortalPlugins plugins, PortalPaths paths, IOptions<PortalOptions> options, ILogger<SessionManager> logger)
    {
        (_store, _plugins, _paths, _options, _logger) = (store, plugins, paths, options.Value, logger);
    }

    /// <summary>How long a cancelled worker gets to save its checkpoint before it is killed.</summary>
    public TimeSpan CancelGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a reattached worker (not a child of this process) is checked for having exited.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Raised (with the run id) when this class changes a run's status or a worker exits.</summary>
    public event Action<string>? RunChanged;

    /// <summary>The worker processes this portal watches: run id → pid.</summary>
    public IReadOnlyDictionary<string, int> ActiveWorkers
    {
        get { lock (_gate) return _active.ToDictionary(kv => kv.Key, kv => kv.Value.Pid); }
    }

    /// <summary>Runs waiting for a device, in the order they will start.</summary>
    public IReadOnlyList<string> Queue
    {
        get { lock (_gate) return _queue.ToList(); }
    }

    private sealed class Worker(string runId, string device, int pid, Process? process, bool external)
    {
        public string RunId { get; } = runId;
        public string Device { get; } = device;
        public int Pid { get; } = pid;
        /// <summary>Null for a worker reattached after a portal restart (not our child: polled).</summary>
        public Process? Process { get; } = process;
        /// <summary>A `scott-lab train` from a terminal: watched, but it does not take a queue slot.</summary>
        public bool External { get; } = external;
        public bool CancelRequested { get; set; }
    }

    // ---- IRunLauncher ---------------------------------------------------------------------------------------

    public LaunchResult Launch(JsonObject spec, string source = "portal")
    {
        var binding = RunSpecBinder.Bind(spec, _plugins.Catalog);
        if (!binding.IsValid) return new LaunchResult(null, binding.Problems);
        var config = binding.Spec!;
        if (config.Trainer.Device == "cuda" && !_cudaAvailable.Value)
            return new LaunchResult(null, [new SpecProblem("trainer.device", "cuda was requested but this machine has no CUDA device; use auto or cpu.")]);

        var run = _store.Create(new RunRecord
        {
            Name = string.IsNullOrWhiteSpace(config.Name) ? "" : config.Name.Trim(), // the store names it by its id when empty
            Spec = binding.Resolved,
            Source = source,
            Dataset = config.Dataset.Id,
            Tokenizer = config.Tokenizer.Id,
            Objective = config.Objective.Id,
            Status = RunStatus.Queued,
            TotalSteps = config.Trainer.Steps ?? 0,
        });
        _logger.LogInformation("Run {RunId} ({Name}) queued", run.Id, run.Name);
        lock (_gate) _queue.Add(run.Id);
        Pump();
        return new LaunchResult(run, []);
    }

    public bool Cancel(string runId)
    {
        Worker? worker;
        lock (_gate)
        {
            if (_queue.Remove(runId))
            {
                _store.SetStatus(runId, RunStatus.Cancelled, "cancelled before it started");
                Changed(runId);
                return true;
            }
            _active.TryGetValue(runId, out worker);
        }
        if (worker is not null)
        {
            if (_store.Get(runId)?.IsFinished == true) return false; // it has just finished and its worker is exiting
            Stop(worker);
            return true;
        }
        // Not watched here: a Queued run nobody picked up, or a live `scott-lab train` from a terminal.
        var run = _store.Get(runId);
        if (run?.Status == RunStatus.Queued)
        {
            _store.SetStatus(runId, RunStatus.Cancelled, "cancelled before it started");
            Changed(runId);
            return true;
        }
        if (run is { Status: RunStatus.Running, WorkerPid: { } pid } && IsScottLabProcess(pid, run))
        {
            Stop(new Worker(runId, "", pid, null, external: true));
            return true;
        }
        return false;
    }

    public bool Resume(string runId)
    {
        lock (_gate)
        {
            // A worker that recorded its outcome may still be exiting: the run waits in the queue until it has (see Pump).
            if (_queue.Contains(runId)) return false;
            var run = _store.Get(runId);
            if (run is null || !run.CanResume) return false;
            _store.Update(runId, r =>
            {
                r.Status = RunStatus.Queued;
                r.History.Add(new StatusChange { Status = RunStatus.Queued, AtUtc = DateTime.UtcNow, Message = $"resume requested (was {run.Status})" });
                r.ResumeRequested = true;
                r.Error = null;
                r.WorkerPid = null;
            });
            _queue.Add(runId);
        }
        Changed(runId);
        Pump();
        return true;
    }

    public bool Evaluate(string runId, string protocol, int? labelsPerClass = null)
    {
        var run = _store.Get(runId);
        if (run is null || !Protocols.Contains(protocol) || labelsPerClass is <= 0) return false;
        if (!Directory.Exists(Path.Combine(run.Directory, "checkpoints"))) return false; // nothing to evaluate yet
        var args = new List<string> { "eval", "--run", run.Directory, "--protocol", protocol };
        if (labelsPerClass is { } n) args.AddRange(["--labels-per-class", n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        args.AddRange(CommonArgs());
        try
        {
            var process = StartScottLab(args, Path.Combine(run.Directory, "eval.log"), $"eval {protocol} of run {runId}");
            _ = process.WaitForExitAsync(_stopping.Token).ContinueWith(_ => process.Dispose(), TaskScheduler.Default);
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            _logger.LogError(e, "Could not start the evaluation of run {RunId}", runId);
            return false;
        }
    }

    // ---- IHostedService ----------------------------------------------------------------------------------

    /// <summary>
    /// Picks up where the last portal left off: workers that are still alive are watched again, runs whose worker
    /// is gone become Interrupted (resumable), and queued runs are queued again.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _started = true;
            foreach (var run in _store.List(new RunQuery(Status: RunStatus.Running, Limit: int.MaxValue)))
            {
                if (run.WorkerPid is { } pid && IsScottLabProcess(pid, run))
                {
                    var worker = new Worker(run.Id, DeviceOf(run), pid, null, external: run.Source == "cli" && !IsWorkerOf(pid, run.Id));
                    _active[run.Id] = worker;
                    _ = WatchAsync(worker);
                    _logger.LogInformation("Run {RunId}: reattached to worker {Pid}", run.Id, pid);
                }
                else
                {
                    _store.Update(run.Id, r =>
                    {
                        r.Status = RunStatus.Interrupted;
                        r.History.Add(new StatusChange { Status = RunStatus.Interrupted, AtUtc = DateTime.UtcNow, Message = "the portal restarted while it ran; resume it" });
                        r.Error = $"The worker (pid {run.WorkerPid?.ToString() ?? "unknown"}) was gone when the portal started: the portal or the machine restarted while the run trained. Resume it to continue from its latest checkpoint.";
                        r.WorkerPid = null;
                    });
                    _logger.LogWarning("Run {RunId}: worker gone, marked Interrupted", run.Id);
                }
            }
            // A `train` from a terminal is Queued only for the moment before it starts: it is not the portal's to start.
            foreach (var run in _store.List(new RunQuery(Status: RunStatus.Queued, Limit: int.MaxValue)).OrderBy(r => r.CreatedUtc))
                if (run.Source != "cli" || run.ResumeRequested)
                    _queue.Add(run.Id);
        }
        Pump();
        return Task.CompletedTask;
    }

    /// <summary>Workers keep training while the portal is down; the next portal reattaches to them.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        return Task.CompletedTask;
    }

    /// <summary>Idempotent: the container disposes this once per registration (SessionManager, IRunLauncher, IHostedService).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stopping.Cancel();
    }

    private int _disposed;

    // ---- the queue and the workers -----------------------------------------------------------------------

    /// <summary>Starts queued runs while their device has a free slot.</summary>
    private void Pump()
    {
        var changed = new List<string>();
        lock (_gate)
        {
            if (!_started || _stopping.IsCancellationRequested) return;
            int limit = Math.Max(1, _options.MaxConcurrentRunsPerDevice);
            foreach (var id in _queue.ToList())
            {
                if (_active.ContainsKey(id)) continue;
                var run = _store.Get(id);
                if (run is null || run.Status != RunStatus.Queued)
                {
                    _queue.Remove(id);
                    continue;
                }
                string device = DeviceOf(run);
                if (_active.Values.Count(w => !w.External && w.Device == device) >= limit) continue;
                _queue.Remove(id);
                try
                {
                    StartWorker(run, device);
                }
                catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException)
                {
                    _logger.LogError(e, "Run {RunId}: the worker could not be started", id);
                    _store.SetStatus(id, RunStatus.Failed, "the worker could not be started", e.Message);
                    changed.Add(id);
                }
            }
        }
        foreach (var id in changed) Changed(id);
    }

    private void StartWorker(RunRecord run, string device)
    {
        Directory.CreateDirectory(run.Directory);
        var args = new List<string> { "worker", "--run", run.Id };
        args.AddRange(CommonArgs());
        var process = StartScottLab(args, Path.Combine(run.Directory, "worker.log"), $"worker for run {run.Id}");
        var worker = new Worker(run.Id, device, process.Id, process, external: false);
        _active[run.Id] = worker;
        _logger.LogInformation("Run {RunId}: worker {Pid} started on {Device}", run.Id, process.Id, device);
        _ = WatchAsync(worker);
    }

    /// <summary>The data folder and the configured plugin folders (built-in and DATA/plugins the worker finds itself).</summary>
    private IEnumerable<string> CommonArgs()
    {
        yield return "--data-dir";
        yield return _paths.DataDir;
        foreach (var folder in _plugins.Environment.FoldersOf(Scott.Lab.Engine.Hosting.PluginFolderKind.Configured))
        {
            yield return "--plugins";
            yield return folder;
        }
    }

    /// <summary>
    /// Starts <c>dotnet scott-lab.dll ARGS</c> with stdout and stderr appended to <paramref name="log"/>. On Unix the
    /// shell opens the log and execs the worker (same pid) in its own session: it writes to the file itself, so it
    /// outlives the portal, and a Ctrl+C meant for the portal does not reach it.
    /// </summary>
    private Process StartScottLab(IReadOnlyList<string> args, string log, string what)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "scott-lab.dll");
        if (!File.Exists(dll))
            throw new InvalidOperationException($"{dll} not found: the portal starts workers with the CLI built beside it. Build src/Scott.Lab.Web (it references src/Scott.Lab.Cli).");
        File.AppendAllText(log, $"--- {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss}Z portal: starting {what}{Environment.NewLine}");
        ProcessStartInfo info;
        if (OperatingSystem.IsWindows())
        {
            info = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(dll);
        }
        else
        {
            const string script = "log=$1; shift; " +
                                  "if command -v setsid >/dev/null 2>&1; then exec setsid \"$@\" >>\"$log\" 2>&1 </dev/null; " +
                                  "else exec \"$@\" >>\"$log\" 2>&1 </dev/null; fi";
            info = new ProcessStartInfo("/bin/sh");
            foreach (var a in new[] { "-c", script, "scott-lab", log, DotnetHost(), dll }) info.ArgumentList.Add(a);
        }
        foreach (var a in args) info.ArgumentList.Add(a);
        info.UseShellExecute = false;
        info.WorkingDirectory = _paths.ContentRoot;
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

    /// <summary>The <c>dotnet</c> that runs this portal (so workers use the same runtime).</summary>
    private static string DotnetHost()
    {
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return self;
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root)
        {
            string candidate = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
            if (File.Exists(candidate)) return candidate;
        }
        return "dotnet";
    }

    private async Task WatchAsync(Worker worker)
    {
        int? exitCode = null;
        try
        {
            if (worker.Process is { } process)
            {
                await process.WaitForExitAsync(_stopping.Token).ConfigureAwait(false);
                exitCode = process.ExitCode;
                process.Dispose();
            }
            else
            {
                while (IsAlive(worker.Pid)) await Task.Delay(PollInterval, _stopping.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return; // the portal is stopping; the worker goes on and the next portal reattaches
        }
        try
        {
            OnWorkerExited(worker, exitCode);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Run {RunId}: could not record the end of worker {Pid}", worker.RunId, worker.Pid);
        }
    }

    /// <summary>
    /// A worker records its own outcome. A run it left Running (killed, crashed, out of memory) becomes Failed
    /// with the exit code and the end of its log, or Cancelled when it was killed after a cancel's grace period.
    /// </summary>
    private void OnWorkerExited(Worker worker, int? exitCode)
    {
        lock (_gate)
        {
            _active.Remove(worker.RunId);
            var run = _store.Get(worker.RunId);
            bool unfinished = run is not null && (run.Status == RunStatus.Running || (run.Status == RunStatus.Queued && !_queue.Contains(worker.RunId)));
            if (unfinished)
            {
                string code = exitCode is { } c ? $"code {c}{SignalName(c)}" : "an unknown code (reattached after a portal restart)";
                if (worker.CancelRequested)
                {
                    _store.SetStatus(worker.RunId, RunStatus.Cancelled, $"the worker did not stop within {CancelGracePeriod.TotalSeconds:F0} s and was killed; resume continues from the latest checkpoint");
                }
                else
                {
                    string tail = LogTail(Path.Combine(run!.Directory, "worker.log"), LogTailLines);
                    _store.Update(worker.RunId, r =>
                    {
                        r.Status = RunStatus.Failed;
                        r.History.Add(new StatusChange { Status = RunStatus.Failed, AtUtc = DateTime.UtcNow, Message = $"the worker exited with {code}" });
                        r.Error = $"The worker (pid {worker.Pid}) exited with {code} without finishing the run. Resume continues from the latest checkpoint. " +
                                  $"The end of worker.log:{Environment.NewLine}{tail}";
                        r.WorkerPid = null;
                    });
                }
                _logger.LogWarning("Run {RunId}: worker {Pid} exited with {Code} while the run was unfinished", worker.RunId, worker.Pid, code);
            }
        }
        Changed(worker.RunId);
        Pump();
    }

    private void Stop(Worker worker)
    {
        worker.CancelRequested = true;
        _logger.LogInformation("Run {RunId}: stopping worker {Pid}", worker.RunId, worker.Pid);
        if (!Signal(worker.Pid, Sigterm)) worker.Process?.Kill(entireProcessTree: true);
        _ = KillAfterGraceAsync(worker);
    }

    private async Task KillAfterGraceAsync(Worker worker)
    {
        try
        {
            await Task.Delay(CancelGracePeriod, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        if (!IsAlive(worker.Pid)) return;
        _logger.LogWarning("Run {RunId}: worker {Pid} did not stop within {Seconds} s; killing it", worker.RunId, worker.Pid, CancelGracePeriod.TotalSeconds);
        if (!Signal(worker.Pid, Sigkill))
            try { worker.Process?.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    private void Changed(string runId)
    {
        try { RunChanged?.Invoke(runId); }
        catch (Exception e) { _logger.LogError(e, "A RunChanged handler failed"); }
    }

    private string DeviceOf(RunRecord run)
    {
        string requested = run.Spec?["trainer"]?["device"]?.ToString() ?? "auto";
        return requested switch
        {
            "cuda" => "cuda",
            "cpu" => "cpu",
            _ => _cudaAvailable.Value ? "cuda" : "cpu",
        };
    }

    /// <summary>The last <paramref name="lines"/> lines of a log (read from its end: logs of long runs are big).</summary>
    public static string LogTail(string path, int lines)
    {
        if (!File.Exists(path)) return "(no worker.log)";
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            const int maxBytes = 64 * 1024;
            if (stream.Length > maxBytes) stream.Seek(-maxBytes, SeekOrigin.End);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
            while (all.Count > 0 && all[^1].Length == 0) all.RemoveAt(all.Count - 1);
            return string.Join(Environment.NewLine, all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"(worker.log could not be read: {e.Message})";
        }
    }

    // ---- processes -----------------------------------------------------------------------------------------

    private const int Sigterm = 15, Sigkill = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    /// <summary>Sends a POSIX signal (SIGTERM lets the worker save a checkpoint; Process.Kill would not).</summary>
    private static bool Signal(int pid, int signal)
    {
        if (OperatingSystem.IsWindows()) return false;
        try { return SysKill(pid, signal) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    private static string SignalName(int exitCode) => exitCode switch
    {
        137 => " (SIGKILL: killed, e.g. kill -9 or out of memory)",
        143 => " (SIGTERM)",
        134 => " (SIGABRT: the runtime aborted)",
        139 => " (SIGSEGV: a native crash)",
        _ => "",
    };

    /// <summary>True while the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
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
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Is <paramref name="pid"/> the worker of this run (not another process that got its pid)?</summary>
    public static bool IsWorkerOf(int pid, string runId)
    {
        var args = CommandLine(pid);
        if (args is null) return IsAlive(pid); // no /proc: trust the pid
        return IsAlive(pid) && args.Contains("worker") && args.Contains(runId);
    }

    private static bool IsScottLabProcess(int pid, RunRecord run)
    {
        if (IsWorkerOf(pid, run.Id)) return true;
        var args = CommandLine(pid);
        return run.Source == "cli" && args is not null && args.Any(a => a.EndsWith("scott-lab.dll", StringComparison.Ordinal) || Path.GetFileName(a) == "scott-lab")
               && args.Contains("train") && IsAlive(pid);
    }

    private static List<string>? CommandLine(int pid)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }
}
