namespace Scott.Lab.Runs;

/// <summary>Where an evaluation of a run is in its life, as the run page shows it.</summary>
public enum EvaluationState { Queued, Running, Completed, Failed, Cancelled }

/// <summary>One finished phase of an evaluation (extracting a split's features, training a probe) and how long it took.</summary>
public sealed class EvaluationPhase
{
    public string Stage { get; set; } = "";
    public double Seconds { get; set; }
}

/// <summary>
/// The latest evaluation of a run, as it goes: the `eval` process reports a snapshot of it (phase, how far, when it
/// started) as an unsequenced <see cref="Reporting.RunEventKind.EvaluationProgress"/> event, the portal adds what the
/// process cannot say (queued, cancelled, crashed). Kept on the run (<see cref="RunRecord.Evaluation"/>): small, and
/// replaced by each newer snapshot; an older one (a journal replayed later) never overwrites a newer one.
/// </summary>
public sealed class EvaluationProgress
{
    public EvaluationState State { get; set; }
    /// <summary>linear | knn | attentive | all.</summary>
    public string Protocol { get; set; } = "";
    public int? LabelsPerClass { get; set; }
    /// <summary>The phase now: "features train", "linear probe", "knn", ... (the engine's stage names).</summary>
    public string? Stage { get; set; }
    public long Done { get; set; }
    public long Total { get; set; }
    /// <summary>When the evaluation was asked for (queued) or, once it runs, when its process started.</summary>
    public DateTime StartedUtc { get; set; }
    public DateTime? StageStartedUtc { get; set; }
    /// <summary>When this snapshot was taken: the newest wins.</summary>
    public DateTime UpdatedUtc { get; set; }
    public int? Pid { get; set; }
    public string? Host { get; set; }
    /// <summary>What happened, in words: why it failed (the end of eval.log), that it was cancelled, the results.</summary>
    public string? Message { get; set; }
    public List<EvaluationPhase> Phases { get; set; } = [];

    public bool IsActive => State is EvaluationState.Queued or EvaluationState.Running;

    /// <summary>The current phase's remaining time at its rate so far, or null before there is a rate.</summary>
    public TimeSpan? PhaseRemaining(DateTime nowUtc)
    {
        if (State != EvaluationState.Running || StageStartedUtc is not { } started || Done <= 0 || Total <= Done) return null;
        double elapsed = (nowUtc - started).TotalSeconds;
        if (elapsed <= 0) return null;
        return TimeSpan.FromSeconds(elapsed / Done * (Total - Done));
    }
}
