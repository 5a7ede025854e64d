using System.Text.Json.Nodes;
using Scott.Lab.Engine.Config;
using Scott.Lab.Runs;

namespace Scott.Lab.Web.Features.Sessions;

/// <summary>The run that was queued, or why the spec was refused.</summary>
public sealed record LaunchResult(RunRecord? Run, IReadOnlyList<SpecProblem> Errors)
{
    public bool Succeeded => Run is not null && Errors.Count == 0;
}

/// <summary>
/// The answer to an evaluation request: queued (with the number of sessions ahead of it), or refused with the reason.
/// <see cref="Conflict"/> marks a refusal because of the run's state (no checkpoint yet, an evaluation already queued or
/// running): a 409 in the REST API; other refusals are bad requests.
/// </summary>
public sealed record EvaluationRequest(bool Queued, string? Problem = null, bool Conflict = false, int Ahead = 0)
{
    public static EvaluationRequest Refused(string problem, bool conflict) => new(false, problem, conflict);
}

/// <summary>
/// What pages and the REST API use to start and stop training. A spec is the run config tree (the YAML presets'
/// shape, as JSON). Launch validates it against the plugins' option schemas, stores the run (Queued) and queues a
/// worker process for it.
/// </summary>
public interface IRunLauncher
{
    LaunchResult Launch(JsonObject spec, string source = "portal");
    /// <summary>Stops the run's worker (it saves a checkpoint) or drops it from the queue. False when it is not running or queued.</summary>
    bool Cancel(string runId);
    /// <summary>Queues a Failed, Cancelled or Interrupted run to continue from its latest checkpoint.</summary>
    bool Resume(string runId);
    /// <summary>
    /// Queues `scott-lab eval --run DIR --protocol P` for a run: it waits for a device slot like a training session, and
    /// one evaluation per run runs at a time. Its results land in the store.
    /// </summary>
    EvaluationRequest Evaluate(string runId, string protocol, int? labelsPerClass = null);
}
