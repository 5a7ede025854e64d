namespace Scott.Lab.Runs;

/// <summary>
/// Where a run is in its life. Queued → Running → Completed | Failed | Cancelled; a run whose worker vanished
/// (portal restart, machine reboot) becomes Interrupted. Failed, Cancelled and Interrupted runs can be resumed.
/// Imported: weights brought in by <c>scott-lab import</c>, never trained here (finished, not resumable).
/// </summary>
public enum RunStatus { Queued, Running, Completed, Failed, Cancelled, Interrupted, Imported }

/// <summary>One entry of a run's status history.</summary>
public sealed class StatusChange
{
    public RunStatus Status { get; set; }
    public DateTime AtUtc { get; set; }
    public string? Message { get; set; }
}

/// <summary>A plugin a run was assembled from, pinned by version and file hash.</summary>
public sealed class PluginRef
{
    public string Kind { get; set; } = "";
    public string Id { get; set; } = "";
    public string Version { get; set; } = "";
    public string Sha256 { get; set; } = "";
}

/// <summary>
/// A run as the store keeps it. Small by design (LiteDB documents are limited to 1 MB): the spec is the resolved
/// spec tree, metrics live in their own collection, and checkpoints and images stay on disk (see <see cref="ArtifactRecord"/>).
/// </summary>
public sealed class RunRecord
{
    /// <summary>Sortable, URL-safe id: <c>yyyyMMdd-HHmmss-xxxx</c>.</summary>
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    /// <summary>The run's folder on disk (config.yaml, metrics.jsonl, checkpoints/, worker.log).</summary>
    public string Directory { get; set; } = "";
    /// <summary>
    /// The run's spec, resolved (every default filled in), as a document: what the run trains, what the worker
    /// builds and what comparisons diff. The run folder's config.yaml is a readable copy of it.
    /// </summary>
    public System.Text.Json.Nodes.JsonObject? Spec { get; set; }
    /// <summary>The spec as YAML text, as runs recorded before the spec became a document kept it (see RunStore.MigrateLegacySpecs).</summary>
    [LiteDB.BsonField("SpecYaml")]
    public string? LegacySpecYaml { get; set; }
    /// <summary>"portal" or "cli".</summary>
    public string Source { get; set; } = "cli";
    /// <summary>The sweep that queued this run (<see cref="Sweeps.SweepRecord"/>), or null for a run of its own.</summary>
    public string? SweepId { get; set; }
    public string Dataset { get; set; } = "";
    public string Tokenizer { get; set; } = "";
    public string Objective { get; set; } = "";
    public RunStatus Status { get; set; } = RunStatus.Queued;
    public List<StatusChange> History { get; set; } = [];
    public List<PluginRef> Plugins { get; set; } = [];
    public string? Device { get; set; }
    public string? GitCommit { get; set; }
    public Dictionary<string, string> Libraries { get; set; } = [];
    public List<string> Tags { get; set; } = [];
    public string? Notes { get; set; }
    public DateTime CreatedUtc { get; set; }
    public DateTime UpdatedUtc { get; set; }
    public long Step { get; set; }
    public long TotalSteps { get; set; }
    public double? LastLoss { get; set; }
    /// <summary>The worker process while the run is Running (for cancel and for reattaching after a portal restart).</summary>
    public int? WorkerPid { get; set; }
    /// <summary>When the worker process started (with <see cref="WorkerPid"/>: a reused pid is not taken for it).</summary>
    public DateTime? WorkerStartedUtc { get; set; }
    /// <summary>The machine the worker runs on (liveness can only be checked there).</summary>
    public string? WorkerHost { get; set; }
    /// <summary>
    /// Set by the portal just before it starts a worker for a Queued run; only the worker given this token may claim the
    /// run (so a stale worker from before a portal restart exits instead of training it a second time).
    /// </summary>
    public string? ClaimToken { get; set; }
    /// <summary>
    /// The highest report sequence applied to this run (<see cref="Reporting.RunEvent.Seq"/>): events at or below it
    /// are a replay and ignored, so a worker's journal can be sent again without counting anything twice.
    /// </summary>
    public long ReportedSequence { get; set; }
    /// <summary>SHA-256 (hex) of the token the run's worker reports with; the token itself is never stored.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? ReportTokenHash { get; set; }
    /// <summary>SHA-256 (hex) of the token of the run's `eval` process (it may only send evaluations).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? EvalTokenHash { get; set; }
    /// <summary>When the run was last queued (launched or resumed): the portal starts queued runs in this order.</summary>
    public DateTime? QueuedUtc { get; set; }
    /// <summary>When the run failed: the error and the tail of its log.</summary>
    public string? Error { get; set; }
    /// <summary>Set when the run should continue from its latest checkpoint the next time a worker picks it up.</summary>
    public bool ResumeRequested { get; set; }

    /// <summary>What runs the worker: "local" (a child process of the portal; also null, for runs recorded before executors) or "slurm".</summary>
    public string? Executor { get; set; }
    /// <summary>The Slurm job training the run (set at submission; a resume submits a new job).</summary>
    public string? JobId { get; set; }
    /// <summary>The node the job runs on, as Slurm reports it.</summary>
    public string? JobNode { get; set; }
    /// <summary>The job's state as Slurm reports it (PENDING, RUNNING, COMPLETED, ...).</summary>
    public string? JobState { get; set; }
    /// <summary>Why the job waits or ended, as Slurm says it (e.g. Resources, Priority, BeginTime); null when none.</summary>
    public string? JobReason { get; set; }
    /// <summary>How often Slurm restarted the job (requeue, preemption, node failure).</summary>
    public int JobRestarts { get; set; }
    /// <summary>The job attempt (SLURM_RESTART_COUNT) whose worker claimed the run: only a later attempt of the same job may claim it again.</summary>
    public int? JobClaimedAttempt { get; set; }
    /// <summary>Per-run executor settings given at launch (Slurm: partition, gpus, ...); null fields take the portal's settings.</summary>
    public JobOverrides? JobOverrides { get; set; }
    /// <summary>
    /// Set when someone asked to stop the run (cancel): a worker stopped by a signal without it (Slurm requeueing or
    /// preempting its job) leaves the run Running for the job's next attempt instead of recording Cancelled.
    /// </summary>
    public bool StopRequested { get; set; }
    /// <summary>The latest evaluation's progress (queued, its phase, how it ended); null before the first.</summary>
    public EvaluationProgress? EvaluationProgress { get; set; }

    public bool IsSlurm => string.Equals(Executor, "slurm", StringComparison.Ordinal);

    public bool IsFinished => Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled or RunStatus.Interrupted or RunStatus.Imported;
    public bool CanResume => Status is RunStatus.Failed or RunStatus.Cancelled or RunStatus.Interrupted;
}

/// <summary>
/// A Slurm job's resources: per run (given at launch; null keeps the portal's setting), and the portal's own
/// defaults (<c>ScottLab:Slurm</c>, which adds the executor's other settings). Empty ones are left out of the job
/// script, so the cluster's defaults apply.
/// </summary>
public class JobOverrides
{
    public string? Partition { get; set; }
    public string? Account { get; set; }
    public string? Qos { get; set; }
    /// <summary>GPUs per job (<c>--gres=gpu:N</c>); 0 or unset asks for none.</summary>
    public int? Gpus { get; set; }
    public int? CpusPerTask { get; set; }
    /// <summary>Memory per node, as sbatch takes it (e.g. 16G).</summary>
    public string? Memory { get; set; }
    /// <summary>Time limit, as sbatch takes it (e.g. 04:00:00 or 2-00:00:00).</summary>
    public string? TimeLimit { get; set; }
    /// <summary>More job options, one per entry (e.g. <c>--constraint=a100</c> or a whole <c>#SBATCH ...</c> line).</summary>
    public List<string>? ExtraSbatch { get; set; }
    /// <summary>Shell lines run before the worker (module loads, environment), e.g. <c>module load cuda/12.4</c>.</summary>
    public string? Setup { get; set; }
}

/// <summary>One metrics row (a log step) of a run: the id <c>runId/step</c> makes re-logging a step idempotent.</summary>
public sealed class MetricRow
{
    public string Id { get; set; } = "";
    public string RunId { get; set; } = "";
    public long Step { get; set; }
    public Dictionary<string, double> Values { get; set; } = [];
}

/// <summary>One evaluation result (a probe protocol on a checkpoint or a baseline).</summary>
public sealed class EvaluationRecord
{
    public string Id { get; set; } = "";
    public string RunId { get; set; } = "";
    /// <summary>linear | knn | attentive | best.</summary>
    public string Protocol { get; set; } = "";
    /// <summary>checkpoint | pixels | random-init.</summary>
    public string Subject { get; set; } = "checkpoint";
    public int? LabelsPerClass { get; set; }
    public long? CheckpointStep { get; set; }
    public double Top1 { get; set; }
    public double Top5 { get; set; }
    public double MeanPerClass { get; set; }
    public double? ValidationTop1 { get; set; }
    /// <summary>The dataset's number of classes (0: not recorded, before this was kept): top-5 of 5 or fewer classes is always 100%.</summary>
    public int Classes { get; set; }
    /// <summary>The result file as eval wrote it (small JSON).</summary>
    public string Json { get; set; } = "";
    public DateTime CreatedUtc { get; set; }
}

/// <summary>A file a run produced (checkpoint, image, log). Files stay on disk; the store keeps where and what.</summary>
public sealed class ArtifactRecord
{
    public string Id { get; set; } = "";
    public string RunId { get; set; } = "";
    /// <summary>checkpoint | image | log | eval.</summary>
    public string Kind { get; set; } = "";
    public string Path { get; set; } = "";
    public long Bytes { get; set; }
    public long? Step { get; set; }
    public DateTime CreatedUtc { get; set; }
}

/// <summary>A filter for the runs list; every field is optional.</summary>
public sealed record RunQuery(string? Search = null, RunStatus? Status = null, string? Tag = null, int Limit = 500);
