using System.Text.Json.Nodes;

namespace Scott.Lab.Runs.Reporting;

/// <summary>What a worker reads about its run from the portal (<c>GET /api/ingest/runs/{id}</c>) instead of the store.</summary>
public sealed class IngestRun
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public RunStatus Status { get; set; }
    public string Directory { get; set; } = "";
    public string Source { get; set; } = "";
    public JsonObject? Spec { get; set; }
    /// <summary>The highest report sequence the store applied: a new worker continues after it and replays what is past it.</summary>
    public long ReportedSequence { get; set; }

    public static IngestRun Of(RunRecord run) => new()
    {
        Id = run.Id,
        Name = run.Name,
        Status = run.Status,
        Directory = run.Directory,
        Source = run.Source,
        Spec = run.Spec,
        ReportedSequence = run.ReportedSequence,
    };
}

/// <summary>A worker's claim (<c>POST /api/ingest/runs/{id}/claim</c>): the portal runs <see cref="RunClaim.TryClaim"/> for it.</summary>
public sealed class ClaimRequest
{
    public string? ClaimToken { get; set; }
    public int Pid { get; set; }
    public DateTime StartedUtc { get; set; }
    public string Host { get; set; } = "";
    /// <summary>The worker's Slurm job and attempt (SLURM_JOB_ID, SLURM_RESTART_COUNT); null outside a Slurm job.</summary>
    public string? JobId { get; set; }
    public int? JobRestart { get; set; }

    public JobAttempt? Attempt => JobId is { Length: > 0 } job ? new JobAttempt(job, JobRestart ?? 0) : null;
}

/// <summary>`train --portal`: the run a CLI training asks the portal to record (<c>POST /api/ingest/runs</c>).</summary>
public sealed class CliRunRequest
{
    public string Name { get; set; } = "";
    public string Directory { get; set; } = "";
    public JsonObject? Spec { get; set; }
    public string Dataset { get; set; } = "";
    public string Tokenizer { get; set; } = "";
    public string Objective { get; set; } = "";
    public long TotalSteps { get; set; }
    /// <summary>`train --resume`: the run recorded for <see cref="Directory"/>, when the portal has one.</summary>
    public bool Resuming { get; set; }
}

/// <summary>The portal's answer to <see cref="CliRunRequest"/>: the run and the token its events are sent with.</summary>
public sealed class CliRunResponse
{
    public IngestRun Run { get; set; } = new();
    public string Token { get; set; } = "";
}
