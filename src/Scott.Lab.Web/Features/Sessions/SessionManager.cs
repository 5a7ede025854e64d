using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Scott.Lab.Engine.Config;
using Scott.Lab.Runs;
using Scott.Lab.Web.Hosting;
using Scott.Lab.Web.Features.Plugins;
using Scott.Lab.Web.Features.Ingest;

namespace Scott.Lab.Web.Features.Sessions;

/// <summary>
/// The queue of training sessions and evaluations, and what turns executors' reports into run status. Each run trains
/// in its own `scott-lab worker`: a child process of the portal (<see cref="LocalExecutor"/>, the default) or a Slurm
/// batch job (<see cref="SlurmExecutor"/>), chosen by <c>ScottLab:Executor</c> or per launch, so a crash or a kill
/// takes down one run and never the portal, and a portal restart does not stop training. Local runs wait in a queue
/// with a concurrency limit per device (<see cref="PortalOptions.MaxConcurrentRunsPerDevice"/>); Slurm runs wait in
/// Slurm's. The worker reports its own progress and outcome; this class only starts, stops and watches workers, and
/// records what a worker could not (a kill, a crash, a portal restart).
/// </summary>
public sealed class SessionManager : IRunLauncher, IHostedService, IDisposable
{
    private const int LogTailLines = 40;
    private static readonly string[] Protocols = ["linear", "knn", "attentive", "all", "paper"];

    private readonly RunStore _store;
    private readonly PortalPlugins _plugins;
    private readonly PortalPaths _paths;
    private readonly PortalOptions _options;
    private readonly ILogger<SessionManager> _logger;
    private readonly LocalExecutor _local;
    private readonly SlurmExecutor _slurm;
    private readonly HashSet<string> _maybeRequeued = new(StringComparer.Ordinal); // Slurm jobs seen NODE_FAIL/PREEMPTED once
    private readonly Dictionary<string, string> _submitErrors = new(StringComparer.Ordinal); // run id → why its job was not submitted
    private readonly object _gate = new();
    private readonly List<QueueEntry> _queue = []; // training sessions and evaluations, in the order they were asked for
    private readonly Dictionary<string, Worker> _active = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Worker> _evaluations = new(StringComparer.Ordinal); // run id → its running `eval`
    private DateTime _lastQueuedUtc;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lazy<bool> _cudaAvailable = new(() => TorchSharp.torch.cuda.is_available());
    private bool _started;

    public SessionManager(RunStore store, PortalPlugins plugins, PortalPaths paths, IOptions<PortalOptions> options, ILogger<SessionManager> logger,
        LocalExecutor local, SlurmExecutor slurm, WorkerReporting reporting)
    {
        (_store, _plugins, _paths, _options, _logger, _local, _slurm, _reporting) = (store, plugins, paths, options.Value, logger, local, slurm, reporting);
        SlurmPollInterval = TimeSpan.FromSeconds(Math.Max(0.2, _options.Slurm.PollSeconds));
    }

    /// <summary>How often Slurm is asked about the jobs of unfinished runs (ScottLab:Slurm:PollSeconds).</summary>
    public TimeSpan SlurmPollInterval { get; set; }

    /// <summary>Workers report over HTTP (ScottLab:WorkerReporting); what a gone worker's journal holds is applied before its run is judged.</summary>
    private readonly WorkerReporting _reporting;

    /// <summary>Before a gone worker's run is judged: apply what its journal holds that the portal has not seen.</summary>
    private void CatchUpReports(string runId) => _reporting.CatchUp(runId);

    /// <summary>Interrupted (see <see cref="RunWatcher.MarkInterrupted"/>), unless the worker's journal says how it ended.</summary>
    private bool MarkInterrupted(RunRecord seen, string why)
    {
        CatchUpReports(seen.Id);
        return RunWatcher.MarkInterrupted(_store, seen, why);
    }

    /// <summary>How long a cancelled worker gets to save its checkpoint before it is killed.</summary>
    public TimeSpan CancelGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a reattached worker (not a child of this process) is checked for having exited.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the store is searched for Running runs this portal does not watch yet (a `scott-lab train` from a
    /// terminal, a worker started by hand): live ones are watched, dead ones become Interrupted.
    /// </summary>
    public TimeSpan LivenessInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Raised (with the run id) when this class changes a run's status or a worker exits.</summary>
    public event Action<string>? RunChanged;

    /// <summary>The worker processes this portal watches: run id → pid.</summary>
    public IReadOnlyDictionary<string, int> ActiveWorkers
    {
        get { lock (_gate) return _active.ToDictionary(kv => kv.Key, kv => kv.Value.Pid); }
    }

    /// <summary>Runs waiting for a device to train, in the order they will start.</summary>
    public IReadOnlyList<string> Queue
    {
        get { lock (_gate) return _queue.Where(q => q.Evaluation is null).Select(q => q.RunId).ToList(); }
    }

    /// <summary>Runs with an evaluation waiting for a device, in the order they will start.</summary>
    public IReadOnlyList<string> QueuedEvaluations
    {
        get { lock (_gate) return _queue.Where(q => q.Evaluation is not null).Select(q => q.RunId).ToList(); }
    }

    /// <summary>The `scott-lab eval` processes this portal started: run id → pid.</summary>
    public IReadOnlyDictionary<string, int> ActiveEvaluations
    {
        get { lock (_gate) return _evaluations.ToDictionary(kv => kv.Key, kv => kv.Value.Pid); }
    }

    /// <summary>One entry of the queue: a run to train, or (with <see cref="Evaluation"/>) a run to evaluate.</summary>
    private sealed record QueueEntry(string RunId, EvaluationJob? Evaluation = null);

    private sealed record EvaluationJob(string Protocol, int? LabelsPerClass, string? Checkpoints);

    private sealed class Worker(string runId, string device, int pid, Process? process, bool external, WorkerIdentity? identity = null)
    {
        public string RunId { get; } = runId;
        public string Device { get; } = device;
        public int Pid { get; } = pid;
        /// <summary>Pid, start time and host when the store recorded them: a reused pid is not taken for this worker.</summary>
        public WorkerIdentity? Identity { get; } = identity;
        /// <summary>Null for a worker reattached after a portal restart (not our child: polled).</summary>
        public Process? Process { get; } = process;
        /// <summary>A `scott-lab train` from a terminal: watched, but it does not take a queue slot.</summary>
        public bool External { get; } = external;
        public bool CancelRequested { get; set; }
    }

    // ---- IRunLauncher ---------------------------------------------------------------------------------------

    public LaunchResult Launch(JsonObject spec, string source = "portal") => Launch(spec, source, null);

    /// <summary>
    /// Launch with an executor (null: <c>ScottLab:Executor</c>) and, for Slurm, per-run job settings. A Slurm run is
    /// submitted at once (Slurm queues it); when sbatch is missing or refuses, the run is Failed and the result names
    /// the command and what it said (key "executor").
    /// </summary>
    public LaunchResult Launch(JsonObject spec, string source, LaunchOptions? launch)
    {
        var (checkedSpec, problems) = Prepare(spec, launch);
        if (problems.Count > 0) return new LaunchResult(null, problems);
        var (binding, executor, name) = checkedSpec!.Value;
        var config = binding.Spec!;

        RunRecord run;
        lock (_gate) // stored and queued under one lock, so runs start in the order they were created (FIFO)
        {
            run = _store.Create(new RunRecord
            {
                Name = name,
                Spec = binding.Resolved,
                Source = source,
                Dataset = config.Dataset.Id,
                Tokenizer = config.Tokenizer.Id,
                Objective = config.Objective.Id,
                Status = RunStatus.Queued,
                TotalSteps = config.Trainer.Steps ?? 0,
                QueuedUtc = NextQueueStamp(),
                Executor = executor,
                JobOverrides = executor == Executors.Slurm ? launch?.Slurm : null,
                SweepId = launch?.SweepId,
            });
            _queue.Add(new QueueEntry(run.Id));
        }
        _logger.LogInformation("Run {RunId} ({Name}) queued for the {Executor} executor", run.Id, run.Name, executor);
        Pump();
        lock (_gate)
        {
            if (_submitErrors.Remove(run.Id, out var submitError))
                return new LaunchResult(_store.Get(run.Id) ?? run, [new SpecProblem("executor", submitError)]);
        }
        return new LaunchResult(executor == Executors.Slurm ? _store.Get(run.Id) ?? run : run, []);
    }

    public IReadOnlyList<SpecProblem> Check(JsonObject spec, LaunchOptions? options = null) => Prepare(spec, options).Problems;

    /// <summary>Every check of a launch, before anything is stored: executor, job settings, the spec's bind, device and name.</summary>
    private ((SpecBinding Binding, string Executor, string Name)? Checked, IReadOnlyList<SpecProblem> Problems) Prepare(JsonObject spec, LaunchOptions? launch)
    {
        string executor = launch?.Executor ?? _options.Executor;
        if (Executors.Problem(executor) is { } badExecutor)
            return (null, [new SpecProblem("executor", launch?.Executor is null ? $"ScottLab:Executor: {badExecutor}" : badExecutor)]);
        if (launch?.Slurm is { } overrides)
        {
            if (executor != Executors.Slurm)
                return (null, [new SpecProblem("slurm", $"job settings apply to the slurm executor only; this run uses '{executor}'. Set \"executor\": \"slurm\" or leave \"slurm\" out.")]);
            if (SlurmJobSettings.Merge(_options.Slurm, overrides).Problems() is { Count: > 0 } jobProblems)
                return (null, jobProblems.Select(p => new SpecProblem("slurm", p)).ToList());
        }
        var binding = RunSpecBinder.Bind(spec, _plugins.Catalog);
        if (!binding.IsValid) return (null, binding.Problems);
        var config = binding.Spec!;
        // A Slurm job trains on a node with its own GPUs: only a local run needs CUDA here.
        if (config.Trainer.Device == "cuda" && executor == Executors.Local && !_cudaAvailable.Value)
            return (null, [new SpecProblem("trainer.device", "cuda was requested but this machine has no CUDA device; use auto or cpu.")]);

        string name = string.IsNullOrWhiteSpace(config.Name) ? "" : config.Name.Trim(); // the store names it by its id when empty
        if (RunLimits.NameProblem(name) is { } tooLong)
            return (null, [new SpecProblem("name", tooLong)]);
        return ((binding, executor, name), []);
    }

    public bool Cancel(string runId)
    {
        if (_store.Get(runId) is { IsSlurm: true } slurmRun) return CancelJob(slurmRun);
        Worker? worker;
        lock (_gate)
        {
            if (_queue.RemoveAll(q => q.RunId == runId && q.Evaluation is null) > 0)
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
        if (run is { Status: RunStatus.Running, WorkerPid: { } pid } && TrainerAlive(run) == true)
        {
            Stop(new Worker(runId, "", pid, null, external: true, WorkerIdentity.Of(run)));
            return true;
        }
        return false;
    }

    public bool Resume(string runId)
    {
        lock (_gate)
        {
            // A worker that recorded its outcome may still be exiting: the run waits in the queue until it has (see Pump).
            if (_queue.Any(q => q.RunId == runId && q.Evaluation is null)) return false;
            var run = _store.Get(runId);
            if (run is null || !run.CanResume) return false;
            _store.Update(runId, r =>
            {
                r.Status = RunStatus.Queued;
                r.History.Add(new StatusChange { Status = RunStatus.Queued, AtUtc = DateTime.UtcNow, Message = $"resume requested (was {run.Status})" });
                r.ResumeRequested = true;
                r.Error = null;
                r.StopRequested = false;
                WorkerIdentity.Clear(r);
                r.QueuedUtc = NextQueueStamp();
            });
            _queue.Add(new QueueEntry(runId));
        }
        Changed(runId);
        Pump();
        lock (_gate) _submitErrors.Remove(runId); // the run is Failed with the reason; only a launch returns it
        return true;
    }

    public EvaluationRequest Evaluate(string runId, string protocol, int? labelsPerClass = null, string? checkpoints = null)
    {
        if (checkpoints is not null)
        {
            try { Scott.Lab.Engine.Evaluation.CheckpointSelection.Parse(checkpoints); }
            catch (Scott.Lab.Engine.Config.ConfigException e) { return EvaluationRequest.Refused("checkpoints: " + e.Message.Replace("--checkpoints: ", ""), conflict: false); }
        }
        if (!Protocols.Contains(protocol))
            return EvaluationRequest.Refused($"protocol: '{protocol}' is not one of {string.Join(", ", Protocols)}.", conflict: false);
        if (labelsPerClass is <= 0)
            return EvaluationRequest.Refused($"labelsPerClass: must be a positive number of labels per class (or absent for all labels), got {labelsPerClass}.", conflict: false);
        var run = _store.Get(runId);
        if (run is null) return EvaluationRequest.Refused($"no run '{runId}'.", conflict: false);
        if (!Directory.Exists(Path.Combine(run.Directory, "checkpoints")))
            return EvaluationRequest.Refused($"run '{runId}' has no checkpoint yet: evaluate it once it has saved one.", conflict: true);
        lock (_gate)
        {
            if (_queue.Any(q => q.RunId == runId && q.Evaluation is not null))
                return EvaluationRequest.Refused($"run '{runId}' already has an evaluation waiting in the queue: one evaluation of a run runs at a time. Wait for it to finish.", conflict: true);
            if (_evaluations.TryGetValue(runId, out var running))
                return EvaluationRequest.Refused($"run '{runId}' is being evaluated (eval pid {running.Pid}): one evaluation of a run runs at a time. Wait for it to finish (eval.log in the run folder).", conflict: true);
            // An eval this portal did not start: a portal restart, or `scott-lab eval` from a terminal.
            if (EvalProcessOf(run.Directory) is { } pid)
                return EvaluationRequest.Refused($"run '{runId}' is being evaluated by process {pid} (not started by this portal): one evaluation of a run runs at a time. Wait for it to finish.", conflict: true);
            _queue.Add(new QueueEntry(runId, new EvaluationJob(protocol, labelsPerClass, checkpoints)));
            _store.SetEvaluationProgress(runId, new EvaluationProgress
            {
                State = EvaluationState.Queued, Protocol = protocol, LabelsPerClass = labelsPerClass,
                StartedUtc = DateTime.UtcNow, UpdatedUtc = DateTime.UtcNow, Message = "waiting for a device slot",
            });
        }
        _logger.LogInformation("Run {RunId}: evaluation ({Protocol}) queued", runId, protocol);
        Changed(runId);
        Pump();
        lock (_gate)
        {
            int position = _queue.FindIndex(q => q.RunId == runId && q.Evaluation is not null);
            return new EvaluationRequest(true, Ahead: Math.Max(0, position));
        }
    }

    /// <summary>How long a cancelled `eval` gets to exit on SIGTERM before it is killed (it saves nothing).</summary>
    public TimeSpan EvaluationCancelGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Stops the run's evaluation: drops it from the queue, or stops its `eval` process (SIGTERM, then SIGKILL after
    /// <see cref="EvaluationCancelGracePeriod"/>). The run itself (its status, checkpoints, earlier evaluations) is
    /// untouched; the evaluation's progress says Cancelled.
    /// </summary>
    public EvaluationCancel CancelEvaluation(string runId)
    {
        var run = _store.Get(runId);
        if (run is null) return new EvaluationCancel(false, $"no run '{runId}'.");
        Worker? evaluation;
        lock (_gate)
        {
            if (_queue.RemoveAll(q => q.RunId == runId && q.Evaluation is not null) > 0)
            {
                MarkEvaluationEnded(runId, EvaluationState.Cancelled, "cancelled before it started; the run is untouched");
                Changed(runId);
                return new EvaluationCancel(true, "The queued evaluation was dropped; the run is untouched.");
            }
            _evaluations.TryGetValue(runId, out evaluation);
        }
        if (evaluation is not null)
        {
            evaluation.CancelRequested = true;
            _logger.LogInformation("Run {RunId}: cancelling evaluation {Pid}", runId, evaluation.Pid);
            _local.Stop(new ExecutorHandle(runId, evaluation.Pid, evaluation.Process));
            _ = KillEvaluationAfterGraceAsync(evaluation);
            return new EvaluationCancel(true, $"Stopping the evaluation (eval process {evaluation.Pid}); the run and its earlier evaluations are untouched.");
        }
        // An `eval` this portal did not start (a portal restart, `scott-lab eval` from a terminal).
        if (EvalProcessOf(run.Directory) is { } pid)
        {
            _local.Stop(new ExecutorHandle(runId, pid, null));
            MarkEvaluationEnded(runId, EvaluationState.Cancelled, $"cancelled (eval process {pid}, not started by this portal, was sent SIGTERM); the run is untouched");
            Changed(runId);
            return new EvaluationCancel(true, $"Sent SIGTERM to the evaluation (process {pid}, not started by this portal); the run is untouched.");
        }
        if (run.EvaluationProgress is { IsActive: true })
        {
            // Recorded as running, but no process is left (it died with a portal restart): say so.
            MarkEvaluationEnded(runId, EvaluationState.Failed, "no eval process was found for it: it ended without saying how (see eval.log in the run folder)");
            Changed(runId);
        }
        return new EvaluationCancel(false, $"run '{runId}' has no evaluation queued or running: nothing to cancel.");
    }

    private async Task KillEvaluationAfterGraceAsync(Worker evaluation)
    {
        try { await Task.Delay(EvaluationCancelGracePeriod, _stopping.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { return; }
        bool running;
        lock (_gate) running = _evaluations.TryGetValue(evaluation.RunId, out var current) && ReferenceEquals(current, evaluation);
        if (!running) return;
        _logger.LogWarning("Run {RunId}: evaluation {Pid} did not stop within {Seconds} s; killing it", evaluation.RunId, evaluation.Pid, EvaluationCancelGracePeriod.TotalSeconds);
        _local.Kill(new ExecutorHandle(evaluation.RunId, evaluation.Pid, evaluation.Process));
    }

    /// <summary>Records how an evaluation ended when its process could not say it (cancelled, crashed, gone).</summary>
    private void MarkEvaluationEnded(string runId, EvaluationState state, string message)
    {
        var now = DateTime.UtcNow;
        _store.Update(runId, r =>
        {
            var last = r.EvaluationProgress ?? new EvaluationProgress { StartedUtc = now };
            last.State = state;
            last.Message = message;
            last.UpdatedUtc = now > last.UpdatedUtc ? now : last.UpdatedUtc.AddTicks(1);
            r.EvaluationProgress = last;
        });
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
            foreach (var listed in _store.List(new RunQuery(Status: RunStatus.Running, Limit: int.MaxValue)))
            {
                var run = listed;
                if (run.IsSlurm) continue; // Slurm says how its jobs go (PollSlurm)
                bool? alive = TrainerAlive(run);
                if (alive is null) continue; // trained on another machine: only it can tell whether it still runs
                if (alive == false) // its journal may say how it ended
                {
                    CatchUpReports(run.Id);
                    if (_store.Get(run.Id) is not { Status: RunStatus.Running } caughtUp) continue;
                    run = caughtUp;
                }
                if (alive == true && run.WorkerPid is { } pid)
                {
                    var worker = new Worker(run.Id, DeviceOf(run), pid, null, external: run.Source == "cli" && !IsWorkerOf(pid, run.Id), WorkerIdentity.Of(run));
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
                        WorkerIdentity.Clear(r);
                    });
                    _logger.LogWarning("Run {RunId}: worker gone, marked Interrupted", run.Id);
                }
            }
            // A `train` from a terminal is Queued only for the moment before it starts: it is not the portal's to start.
            foreach (var run in _store.List(new RunQuery(Status: RunStatus.Queued, Limit: int.MaxValue))
                         .OrderBy(r => r.QueuedUtc ?? r.CreatedUtc).ThenBy(r => r.CreatedUtc).ThenBy(r => r.Id, StringComparer.Ordinal))
                if ((run.Source != "cli" || run.ResumeRequested) && !(run.IsSlurm && run.JobId is not null)) // a submitted job waits in Slurm's queue
                    _queue.Add(new QueueEntry(run.Id));
            _lastQueuedUtc = DateTime.UtcNow;
            // An evaluation queued in, or started by, the previous portal: its queue is gone, its process maybe too.
            foreach (var run in _store.List(new RunQuery(Limit: int.MaxValue)).Where(r => r.EvaluationProgress is { IsActive: true }))
                if (EvalProcessOf(run.Directory) is null)
                    MarkEvaluationEnded(run.Id, EvaluationState.Failed, "the portal restarted before this evaluation finished; evaluate again");
        }
        Pump();
        _ = CheckLivenessLoopAsync();
        _ = PollSlurmLoopAsync();
        return Task.CompletedTask;
    }

    /// <summary>
    /// A strictly increasing time for <see cref="RunRecord.QueuedUtc"/> (the store keeps milliseconds), so that the
    /// queue a restarted portal rebuilds from the store is in the same order. Call under <see cref="_gate"/>.
    /// </summary>
    private DateTime NextQueueStamp()
    {
        var now = DateTime.UtcNow;
        now = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
        _lastQueuedUtc = now > _lastQueuedUtc ? now : _lastQueuedUtc.AddMilliseconds(1);
        return _lastQueuedUtc;
    }

    // ---- liveness of runs this portal did not start ---------------------------------------------------------

    private async Task CheckLivenessLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(LivenessInterval, _stopping.Token).ConfigureAwait(false);
                CheckLiveness();
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Checking the liveness of running runs failed; trying again in {Seconds} s", LivenessInterval.TotalSeconds);
            }
        }
    }

    /// <summary>
    /// Running runs that no watched worker trains (a `scott-lab train` or a worker started by hand after the portal
    /// started): a live trainer is watched from now on; a dead one (its pid gone, or reused by another process) leaves
    /// the run Interrupted, so it can be resumed. Runs trained on another machine are left alone: only it can tell.
    /// </summary>
    public void CheckLiveness()
    {
        foreach (var run in _store.List(new RunQuery(Status: RunStatus.Running, Limit: int.MaxValue)))
        {
            if (run.IsSlurm) continue; // its job's state decides (PollSlurm), not a pid on whichever node ran it
            lock (_gate)
            {
                if (_active.ContainsKey(run.Id) || _stopping.IsCancellationRequested) continue;
                bool? alive = TrainerAlive(run);
                if (alive is null) continue;
                if (alive == true)
                {
                    var worker = new Worker(run.Id, DeviceOf(run), run.WorkerPid!.Value, null, external: true, WorkerIdentity.Of(run));
                    _active[run.Id] = worker;
                    _ = WatchAsync(worker);
                    _logger.LogInformation("Run {RunId}: watching its trainer {Pid}, started outside this portal", run.Id, worker.Pid);
                    continue;
                }
            }
            if (MarkInterrupted(run, $"the process that trained it ({Who(run)}) is gone"))
            {
                _logger.LogWarning("Run {RunId}: its trainer ({Who}) is gone; marked Interrupted", run.Id, Who(run));
                Changed(run.Id);
            }
        }
    }

    private static string Who(RunRecord run) => WorkerIdentity.Of(run)?.ToString() ?? $"pid {run.WorkerPid?.ToString() ?? "unknown"}";

    /// <summary>
    /// Is the process recorded as the run's trainer alive? Null when this machine can't tell (another host). Records
    /// with a start time are checked by pid + start time + host; older ones by the pid's command line.
    /// </summary>
    private static bool? TrainerAlive(RunRecord run)
    {
        if (run.WorkerPid is not { } pid) return false;
        if (WorkerIdentity.Of(run) is { } identity) return identity.IsAlive();
        return IsScottLabProcess(pid, run);
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

    /// <summary>
    /// Starts queued sessions, first come first served, while their device has a free slot. Training and evaluations
    /// share the slots (<see cref="PortalOptions.MaxConcurrentRunsPerDevice"/>).
    /// </summary>
    private void Pump()
    {
        var changed = new List<string>();
        var toSubmit = new List<RunRecord>(); // submitted outside the lock: sbatch may wait for a busy controller
        lock (_gate)
        {
            if (!_started || _stopping.IsCancellationRequested) return;
            int limit = Math.Max(1, _options.MaxConcurrentRunsPerDevice);
            foreach (var entry in _queue.ToList())
            {
                string id = entry.RunId;
                if (entry.Evaluation is { } job)
                {
                    if (_evaluations.ContainsKey(id)) continue;
                    var evaluated = _store.Get(id);
                    if (evaluated is null) { _queue.Remove(entry); continue; }
                    string evalDevice = DeviceOf(evaluated);
                    if (Busy(evalDevice) >= limit) continue;
                    _queue.Remove(entry);
                    try
                    {
                        StartEvaluation(evaluated, job, evalDevice);
                    }
                    catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException)
                    {
                        _logger.LogError(e, "Could not start the evaluation of run {RunId}", id);
                    }
                    continue;
                }
                if (_active.ContainsKey(id)) continue;
                var run = _store.Get(id);
                if (run is null || run.Status != RunStatus.Queued)
                {
                    _queue.Remove(entry);
                    continue;
                }
                if (run.IsSlurm)
                {
                    // Slurm queues the job and picks its node: no local device slot.
                    _queue.Remove(entry);
                    toSubmit.Add(run);
                    continue;
                }
                string device = DeviceOf(run);
                if (Busy(device) >= limit) continue;
                _queue.Remove(entry);
                if (IssueClaimToken(id) is not ({ } token, _)) continue;
                try
                {
                    StartWorker(run, device, token);
                }
                catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException)
                {
                    _logger.LogError(e, "Run {RunId}: the worker could not be started", id);
                    _store.SetStatus(id, RunStatus.Failed, "the worker could not be started", e.Message);
                    changed.Add(id);
                }
            }
        }
        foreach (var run in toSubmit)
        {
            Submit(run);
            changed.Add(run.Id);
        }
        foreach (var id in changed) Changed(id);
    }

    /// <summary>
    /// A fresh token the run's worker must present to claim it (<see cref="RunClaim"/>), written (with
    /// <paramref name="also"/>) only while the run is still Queued; null when it no longer is.
    /// </summary>
    private (string? Token, RunRecord? Run) IssueClaimToken(string runId, Action<RunRecord>? also = null)
    {
        string token = Guid.NewGuid().ToString("N");
        var run = _store.TryUpdate(runId, r =>
        {
            if (r.Status != RunStatus.Queued) return false;
            r.ClaimToken = token;
            also?.Invoke(r);
            return true;
        });
        return run is null ? (null, null) : (token, run);
    }

    // ---- Slurm jobs ---------------------------------------------------------------------------------------

    /// <summary>
    /// Submits a Queued Slurm run's job with a fresh claim token (outside <see cref="_gate"/>). When it can't be
    /// submitted the run is Failed with the reason, which <see cref="Launch(JsonObject, string, LaunchOptions?)"/> returns.
    /// </summary>
    private void Submit(RunRecord run)
    {
        if (IssueClaimToken(run.Id, r => (r.JobId, r.JobNode, r.JobState, r.JobReason, r.JobRestarts, r.JobClaimedAttempt, r.StopRequested) = (null, null, null, null, 0, null, false))
            is not ({ } token, { } prepared)) return;
        try
        {
            var handle = _slurm.StartWorker(prepared, token);
            var submitted = _store.Update(run.Id, r =>
            {
                r.JobId ??= handle.JobId; // its worker may have claimed the run (and written the id) already
                r.JobState ??= "PENDING";
                r.History.Add(new StatusChange { Status = r.Status, AtUtc = DateTime.UtcNow, Message = $"submitted as Slurm job {handle.JobId}" });
            });
            if (submitted?.StopRequested == true) _slurm.Kill(handle); // cancelled while sbatch ran
        }
        catch (Exception e) when (e is ExecutorException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            _logger.LogError("Run {RunId}: the Slurm job could not be submitted: {Message}", run.Id, e.Message);
            _store.SetStatus(run.Id, RunStatus.Failed, "the Slurm job could not be submitted", e.Message);
            lock (_gate) _submitErrors[run.Id] = e.Message;
        }
    }

    /// <summary>
    /// Cancels a Slurm run: a job that has not started training is cancelled at once (scancel); a training one gets
    /// SIGTERM (it saves a checkpoint and records Cancelled), and scancel after ScottLab:Slurm:CancelGraceSeconds.
    /// </summary>
    private bool CancelJob(RunRecord run)
    {
        lock (_gate)
        {
            if (_queue.RemoveAll(q => q.RunId == run.Id && q.Evaluation is null) > 0)
            {
                _store.SetStatus(run.Id, RunStatus.Cancelled, "cancelled before it was submitted");
                Changed(run.Id);
                return true;
            }
        }
        var marked = _store.TryUpdate(run.Id, r =>
        {
            if (r.IsFinished) return false;
            r.StopRequested = true;
            return true;
        });
        if (marked is null) return false;
        if (marked.JobId is not { } jobId)
        {
            _store.TryUpdate(run.Id, r => Cancelled(r, "cancelled before it was submitted"));
            Changed(run.Id);
            return true;
        }
        var handle = new ExecutorHandle(run.Id, JobId: jobId);
        try
        {
            if (marked.Status == RunStatus.Queued)
            {
                // Not training yet: nothing to save. Its worker, if it starts, finds the run Cancelled and exits.
                _slurm.Kill(handle);
                _store.TryUpdate(run.Id, r => r.Status == RunStatus.Queued && Cancelled(r, $"cancelled before it started (scancel {jobId})"));
            }
            else
            {
                _logger.LogInformation("Run {RunId}: stopping Slurm job {JobId}", run.Id, jobId);
                _slurm.Stop(handle);
                _ = KillJobAfterGraceAsync(handle);
            }
        }
        catch (ExecutorException e)
        {
            _logger.LogError("Run {RunId}: cancelling Slurm job {JobId} failed: {Message}", run.Id, jobId, e.Message);
            _store.Update(run.Id, r => r.History.Add(new StatusChange { Status = r.Status, AtUtc = DateTime.UtcNow, Message = $"cancel failed: {e.Message}" }));
        }
        Changed(run.Id);
        return true;
    }

    private static bool Cancelled(RunRecord r, string message)
    {
        r.Status = RunStatus.Cancelled;
        r.History.Add(new StatusChange { Status = RunStatus.Cancelled, AtUtc = DateTime.UtcNow, Message = message });
        return true;
    }

    private async Task KillJobAfterGraceAsync(ExecutorHandle handle)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, _options.Slurm.CancelGraceSeconds)), _stopping.Token).ConfigureAwait(false);
            if (_store.Get(handle.RunId) is not { } run || run.JobId != handle.JobId) return;
            if (_slurm.Query(handle.JobId!) is { IsFinal: false })
            {
                _logger.LogWarning("Run {RunId}: Slurm job {JobId} did not stop within its grace period; scancel", handle.RunId, handle.JobId);
                _slurm.Kill(handle);
            }
        }
        catch (OperationCanceledException) { }
        catch (ExecutorException e)
        {
            _logger.LogError("Run {RunId}: scancel of Slurm job {JobId} failed: {Message}", handle.RunId, handle.JobId, e.Message);
        }
    }

    private async Task PollSlurmLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(SlurmPollInterval, _stopping.Token).ConfigureAwait(false);
                PollSlurm();
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Asking Slurm about its jobs failed; trying again in {Seconds} s", SlurmPollInterval.TotalSeconds);
            }
        }
    }

    private HashSet<string> _polledRuns = new(StringComparer.Ordinal);

    /// <summary>
    /// Asks Slurm about the job of every unfinished Slurm run (and once more after a run finished, for its final state),
    /// and records what it says (<see cref="RunWatcher"/>). When Slurm can't be asked, nothing changes.
    /// </summary>
    public void PollSlurm()
    {
        var runs = _store.List(new RunQuery(Status: RunStatus.Queued, Limit: int.MaxValue))
            .Concat(_store.List(new RunQuery(Status: RunStatus.Running, Limit: int.MaxValue)))
            .Where(r => r.IsSlurm && r.JobId is not null).ToList();
        foreach (var id in _polledRuns.Except(runs.Select(r => r.Id)).ToList())
            if (_store.Get(id) is { IsSlurm: true, JobId: not null } finished && finished.JobState is not ("COMPLETED" or "VANISHED")) runs.Add(finished);
        var polled = new HashSet<string>(StringComparer.Ordinal);
        foreach (var run in runs)
        {
            if (_stopping.IsCancellationRequested) return;
            SlurmJobStatus? job;
            try
            {
                job = _slurm.Query(run.JobId!);
            }
            catch (ExecutorException e)
            {
                _logger.LogWarning("Slurm could not be asked about job {JobId} of run {RunId}: {Message}", run.JobId, run.Id, e.Message);
                return; // unreachable: ask again next time; runs stay as they are
            }
            var report = ReportOf(run, job);
            if (report.Event is ExecutorEvent.Pending or ExecutorEvent.Running or ExecutorEvent.Requeued || !run.IsFinished) polled.Add(run.Id);
            if (report.Event is ExecutorEvent.Exited or ExecutorEvent.Vanished && !run.IsFinished)
                CatchUpReports(run.Id); // what the job's worker could not send: its journal may say how it ended
            if (RunWatcher.Apply(_store, report, SlurmLogTail) is { } updated)
            {
                if (updated.IsFinished && !run.IsFinished)
                    _logger.LogWarning("Run {RunId}: {Status}: {Message}", run.Id, updated.Status, updated.History.LastOrDefault()?.Message);
                Changed(run.Id);
            }
        }
        _polledRuns = polled;
    }

    /// <summary>What Slurm's answer means for the run (a NODE_FAIL or PREEMPTED seen once may still turn into a requeue).</summary>
    private ExecutorReport ReportOf(RunRecord run, SlurmJobStatus? job)
    {
        if (job is null) return new ExecutorReport(run.Id, ExecutorEvent.Vanished, run.JobId);
        lock (_gate)
        {
            if (job.IsFinal && job.MayBeRequeued && _maybeRequeued.Add(job.JobId))
                return new ExecutorReport(run.Id, ExecutorEvent.Pending, job.JobId, job.State, job.Reason, job.Node, job.Restarts, job.ExitCode);
            if (!job.IsFinal) _maybeRequeued.Remove(job.JobId);
        }
        var kind = job.IsFinal ? ExecutorEvent.Exited
            : job.Restarts > run.JobRestarts ? ExecutorEvent.Requeued
            : job.State is "RUNNING" or "COMPLETING" ? ExecutorEvent.Running
            : ExecutorEvent.Pending;
        return new ExecutorReport(run.Id, kind, job.JobId, job.State, job.Reason, job.Node, job.Restarts, job.ExitCode);
    }

    private static string SlurmLogTail(RunRecord run) =>
        LogTail(Path.Combine(run.Directory, $"slurm-{run.JobId}.log"), LogTailLines);

    /// <summary>Sessions this portal runs on a device: its training workers and evaluations. Call under <see cref="_gate"/>.</summary>
    private int Busy(string device) =>
        _active.Values.Count(w => !w.External && w.Device == device) + _evaluations.Values.Count(w => w.Device == device);

    private void StartEvaluation(RunRecord run, EvaluationJob job, string device)
    {
        var process = _local.StartEvaluation(run, job.Protocol, job.LabelsPerClass, job.Checkpoints);
        var evaluation = new Worker(run.Id, device, process.Id, process, external: false);
        _evaluations[run.Id] = evaluation;
        var now = DateTime.UtcNow;
        _store.SetEvaluationProgress(run.Id, new EvaluationProgress
        {
            State = EvaluationState.Running, Protocol = job.Protocol, LabelsPerClass = job.LabelsPerClass, StartedUtc = now, UpdatedUtc = now,
            Pid = process.Id, Host = Environment.MachineName, Message = "starting: loading the run and its checkpoint",
        });
        _logger.LogInformation("Run {RunId}: evaluation {Pid} ({Protocol}) started on {Device}", run.Id, process.Id, job.Protocol, device);
        _ = WatchEvaluationAsync(evaluation, process);
    }

    private async Task WatchEvaluationAsync(Worker evaluation, Process process)
    {
        try
        {
            await process.WaitForExitAsync(_stopping.Token).ConfigureAwait(false);
            if (process.ExitCode != 0 && !evaluation.CancelRequested)
                _logger.LogWarning("Run {RunId}: evaluation {Pid} exited with code {Code} (see eval.log in the run folder)", evaluation.RunId, evaluation.Pid, process.ExitCode);
            RecordEvaluationExit(evaluation, process.ExitCode);
        }
        catch (OperationCanceledException)
        {
            return; // the portal is stopping; the evaluation goes on
        }
        finally
        {
            process.Dispose();
        }
        lock (_gate) _evaluations.Remove(evaluation.RunId);
        Changed(evaluation.RunId);
        Pump();
    }

    /// <summary>
    /// The end of an `eval` the portal started: a cancel is Cancelled whatever the process said last; an exit that left
    /// the evaluation Running (a crash, a kill, an error before its first report) is Failed with the end of eval.log.
    /// </summary>
    private void RecordEvaluationExit(Worker evaluation, int exitCode)
    {
        try
        {
            var progress = _store.Get(evaluation.RunId)?.EvaluationProgress;
            if (evaluation.CancelRequested)
                MarkEvaluationEnded(evaluation.RunId, EvaluationState.Cancelled,
                    $"cancelled{(progress?.Stage is { } stage ? $" during {stage}" : "")}; the run and its earlier evaluations are untouched");
            else if (progress is { IsActive: true })
            {
                string log = LogTail(Path.Combine(_store.Get(evaluation.RunId)?.Directory ?? "", "eval.log"), 12);
                MarkEvaluationEnded(evaluation.RunId, exitCode == 0 ? EvaluationState.Completed : EvaluationState.Failed,
                    exitCode == 0 ? "ended (exit code 0)" : $"the eval process exited with code {exitCode}. The end of eval.log:\n{log}");
            }
        }
        catch (Exception e) when (e is IOException or LiteDB.LiteException)
        {
            _logger.LogError(e, "Run {RunId}: could not record the end of evaluation {Pid}", evaluation.RunId, evaluation.Pid);
        }
    }

    /// <summary>The pid of a live `scott-lab eval --run DIR` (any parent), or null; Linux only (elsewhere: null).</summary>
    private static int? EvalProcessOf(string runDirectory)
    {
        if (!OperatingSystem.IsLinux() || string.IsNullOrEmpty(runDirectory)) return null;
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDirectory));
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == Environment.ProcessId) continue;
            var args = CommandLine(pid);
            if (args is not { Count: > 0 }) continue;
            int eval = args.IndexOf("eval");
            if (eval < 0 || !args.Any(a => a.EndsWith("scott-lab.dll", StringComparison.Ordinal) || Path.GetFileName(a) == "scott-lab")) continue;
            int run = args.IndexOf("--run", eval);
            if (run < 0 || run + 1 >= args.Count) continue;
            try
            {
                if (Path.TrimEndingDirectorySeparator(Path.GetFullPath(args[run + 1])) == full && IsAlive(pid)) return pid;
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { }
        }
        return null;
    }

    private void StartWorker(RunRecord run, string device, string claimToken)
    {
        var handle = _local.StartWorker(run, claimToken);
        var worker = new Worker(run.Id, device, handle.Pid, handle.Process, external: false);
        _active[run.Id] = worker;
        _logger.LogInformation("Run {RunId}: worker {Pid} started on {Device}", run.Id, handle.Pid, device);
        _ = WatchAsync(worker);
    }

    private async Task WatchAsync(Worker worker)
    {
        int? exitCode;
        try
        {
            exitCode = await _local.WaitForExitAsync(new ExecutorHandle(worker.RunId, worker.Pid, worker.Process), worker.Identity, PollInterval, _stopping.Token).ConfigureAwait(false);
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
            CatchUpReports(worker.RunId); // what the worker could not send before it exited
            var run = _store.Get(worker.RunId);
            bool unfinished = run is not null && (run.Status == RunStatus.Running || (run.Status == RunStatus.Queued && !_queue.Any(q => q.RunId == worker.RunId && q.Evaluation is null)));
            // Another worker claimed the run (this one exited without training it): that one's outcome counts.
            bool someoneElses = run?.WorkerPid is { } trainer && trainer != worker.Pid;
            if (unfinished && !someoneElses && worker.External && !worker.CancelRequested)
            {
                // A `scott-lab train` from a terminal that vanished without recording an outcome (kill -9, a crash).
                RunWatcher.MarkInterrupted(_store, run!, $"the process that trained it ({Who(run!)}) is gone");
            }
            else if (unfinished && !someoneElses)
            {
                string code = RunWatcher.LocalWorkerExited(_store, run!, worker.Pid, exitCode, worker.CancelRequested, CancelGracePeriod,
                    () => LogTail(Path.Combine(run!.Directory, "worker.log"), LogTailLines));
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
        _local.Stop(new ExecutorHandle(worker.RunId, worker.Pid, worker.Process));
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
        _local.Kill(new ExecutorHandle(worker.RunId, worker.Pid, worker.Process));
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

    /// <summary>True while the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid) => WorkerIdentity.ProcessIsAlive(pid);

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
