using System.Text.Json;
using System.Text.Json.Serialization;

namespace Scott.Lab.Runs.Reporting;

/// <summary>What a worker tells the run store. One model for both reporting paths: applied in process by the CLI's
/// store recorder, or sent over HTTP to the portal's ingest API (and kept in the worker's journal meanwhile).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RunEventKind>))]
public enum RunEventKind
{
    /// <summary>The worker built the run and trains it: identity, plugins, device, libraries.</summary>
    Running,
    /// <summary>One metrics row (<see cref="RunEvent.Step"/>, <see cref="RunEvent.Values"/>).</summary>
    Metrics,
    /// <summary>Metrics rows from <see cref="RunEvent.Step"/> on are void (a resume logs them again; 0: a fresh start).</summary>
    Truncate,
    /// <summary>A file the run produced (<see cref="RunEvent.Artifact"/>): a checkpoint, an evaluation's result file.</summary>
    Artifact,
    /// <summary>Completed or Cancelled (<see cref="RunEvent.Status"/>), with the step reached.</summary>
    Finished,
    /// <summary>The worker failed (<see cref="RunEvent.Error"/>).</summary>
    Failed,
    /// <summary>An evaluation result (<see cref="RunEvent.Evaluation"/>); keyed by its id, so applying it twice is harmless.</summary>
    Evaluation,
    /// <summary>How far an `eval` is (<see cref="RunEvent.Progress"/>, a snapshot); unsequenced, the newest snapshot wins.</summary>
    EvaluationProgress,
    /// <summary>What a process of the run used (<see cref="RunEvent.Sample"/>: CPU, memory, GPU); keyed by process and time.</summary>
    Resources,
}

/// <summary>
/// One report of a worker. <see cref="Seq"/> orders a run's events: the store keeps the highest it applied
/// (<see cref="RunRecord.ReportedSequence"/>) and ignores anything at or below it, so a replayed journal is applied
/// once. Seq 0 means "unsequenced": applied every time, for events that are idempotent on their own (evaluations,
/// from an `eval` process that runs beside the worker) and for the CLI's in-process store recorder.
/// </summary>
public sealed class RunEvent
{
    public long Seq { get; set; }
    public RunEventKind Kind { get; set; }
    /// <summary>When it happened on the worker (a replay keeps the original times in the run's history).</summary>
    public DateTime AtUtc { get; set; }

    // Running, Finished, Failed
    public string? Message { get; set; }
    public int? WorkerPid { get; set; }
    public DateTime? WorkerStartedUtc { get; set; }
    public string? WorkerHost { get; set; }
    public string? Device { get; set; }
    public List<PluginRef>? Plugins { get; set; }
    public string? GitCommit { get; set; }
    public Dictionary<string, string>? Libraries { get; set; }
    public long? TotalSteps { get; set; }

    // Metrics, Truncate; Finished: the steps done
    public long? Step { get; set; }
    public Dictionary<string, double>? Values { get; set; }
    public double? LastLoss { get; set; }

    // Finished (Completed | Cancelled), Failed
    public RunStatus? Status { get; set; }
    /// <summary>Finished: the Slurm job of the worker that stopped (null outside one). A stop of a Slurm run that nobody
    /// asked for (a requeue, a preemption, a node going down) leaves it Running for the job's next attempt.</summary>
    public string? JobId { get; set; }
    public string? Error { get; set; }

    public ArtifactRecord? Artifact { get; set; }
    public EvaluationRecord? Evaluation { get; set; }
    public EvaluationProgress? Progress { get; set; }
    public ResourceSample? Sample { get; set; }

    /// <summary>How events are written in the journal and on the wire: NaN losses and enums as names survive.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>What makes an event unusable, or null: the ingest API answers 400 with it.</summary>
    public string? Problem() => Kind switch
    {
        _ when Seq < 0 => "seq must be 0 (unsequenced) or positive",
        RunEventKind.Metrics when Step is not >= 0 || Values is null => "a Metrics event needs step (>= 0) and values",
        RunEventKind.Truncate when Step is not >= 0 => "a Truncate event needs step (>= 0)",
        RunEventKind.Artifact when Artifact is null || string.IsNullOrEmpty(Artifact.Path) || string.IsNullOrEmpty(Artifact.Kind) => "an Artifact event needs artifact.kind and artifact.path",
        RunEventKind.Finished when Status is not (RunStatus.Completed or RunStatus.Cancelled) => "a Finished event needs status Completed or Cancelled",
        RunEventKind.Evaluation when Evaluation is null || string.IsNullOrEmpty(Evaluation.Id) => "an Evaluation event needs evaluation.id",
        RunEventKind.EvaluationProgress when Progress is null || Progress.UpdatedUtc == default => "an EvaluationProgress event needs progress with updatedUtc",
        RunEventKind.Resources when Sample is null || Sample.AtUtc == default || string.IsNullOrEmpty(Sample.Role) => "a Resources event needs sample with atUtc and role",
        _ => null,
    };
}

/// <summary>A batch of events, as the ingest API takes it (<c>POST /api/ingest/runs/{id}/events</c>).</summary>
public sealed class RunEventBatch
{
    public List<RunEvent> Events { get; set; } = [];
}

/// <summary>The ingest API's answer to a batch: the highest sequence the store has applied for the run.</summary>
public sealed record RunEventAck(long Sequence);
