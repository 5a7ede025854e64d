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
    /// <summary>Starts `scott-lab eval --run DIR --protocol P` for a run in the background; its results land in the store.</summary>
    bool Evaluate(string runId, string protocol, int? labelsPerClass = null);
}
