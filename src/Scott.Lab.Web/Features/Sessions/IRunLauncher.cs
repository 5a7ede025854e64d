using System.Text.Json.Nodes;
using Scott.Lab.Engine.Config;
using Scott.Lab.Runs;

namespace Scott.Lab.Web.Features.Sessions;

/// <summary>
/// How a run is launched besides its spec: the executor ("local" or "slurm"; null: <c>ScottLab:Executor</c>) and,
/// for Slurm, job settings that override <c>ScottLab:Slurm</c> for this run.
/// </summary>
public sealed record LaunchOptions(string? Executor, JobOverrides? Slurm = null)
{
    /// <summary>The sweep the run belongs to (stored as <see cref="RunRecord.SweepId"/>); null for a run of its own.</summary>
    public string? SweepId { get; init; }

    private static readonly string[] SlurmKeys = ["partition", "account", "qos", "gpus", "cpusPerTask", "memory", "timeLimit", "extraSbatch", "setup"];

    /// <summary>
    /// Takes <c>executor</c> and <c>slurm</c> out of a launch request's JSON (they are not part of the run spec) and
    /// reads them, or says what is wrong with them (key + message).
    /// </summary>
    public static (LaunchOptions? Options, IReadOnlyList<SpecProblem> Problems) Extract(JsonObject request)
    {
        var problems = new List<SpecProblem>();
        string? executor = null;
        if (request.Remove("executor", out var executorNode) && executorNode is not null)
        {
            if (executorNode is JsonValue v && v.TryGetValue(out string? name)) executor = name.Trim();
            else problems.Add(new("executor", $"must be a string, one of: {string.Join(", ", Executors.Names)}."));
            if (executor is not null && Executors.Problem(executor) is { } problem) problems.Add(new("executor", problem));
        }
        JobOverrides? slurm = null;
        if (request.Remove("slurm", out var slurmNode) && slurmNode is not null)
        {
            if (slurmNode is not JsonObject o) problems.Add(new("slurm", $"must be an object with any of: {string.Join(", ", SlurmKeys)}."));
            else slurm = ReadSlurm(o, problems);
        }
        return (problems.Count > 0 ? null : new LaunchOptions(executor, slurm), problems);
    }

    private static JobOverrides ReadSlurm(JsonObject o, List<SpecProblem> problems)
    {
        var job = new JobOverrides();
        foreach (var (key, node) in o)
        {
            string? Text()
            {
                if (node is null) return null;
                if (node is JsonValue value && value.TryGetValue(out string? text)) return text;
                problems.Add(new($"slurm.{key}", "must be a string."));
                return null;
            }
            int? Number()
            {
                if (node is null) return null;
                if (node is JsonValue value && value.TryGetValue(out int n)) return n;
                problems.Add(new($"slurm.{key}", "must be a whole number."));
                return null;
            }
            switch (key)
            {
                case "partition": job.Partition = Text(); break;
                case "account": job.Account = Text(); break;
                case "qos": job.Qos = Text(); break;
                case "gpus": job.Gpus = Number(); break;
                case "cpusPerTask": job.CpusPerTask = Number(); break;
                case "memory": job.Memory = Text(); break;
                case "timeLimit": job.TimeLimit = Text(); break;
                case "setup": job.Setup = Text(); break;
                case "extraSbatch":
                    if (node is JsonArray lines && lines.All(l => l is JsonValue lv && lv.TryGetValue(out string? _)))
                        job.ExtraSbatch = lines.Select(l => l!.GetValue<string>()).ToList();
                    else if (node is not null) problems.Add(new("slurm.extraSbatch", "must be a list of strings, one sbatch option each."));
                    break;
                default:
                    problems.Add(new($"slurm.{key}", $"unknown key (allowed: {string.Join(", ", SlurmKeys)})."));
                    break;
            }
        }
        return job;
    }
}

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

/// <summary>The answer to a request to cancel an evaluation: whether there was one to stop, and what happens, in words.</summary>
public sealed record EvaluationCancel(bool Stopped, string Message);

/// <summary>
/// What pages and the REST API use to start and stop training. A spec is the run config tree (the YAML presets'
/// shape, as JSON). Launch validates it against the plugins' option schemas, stores the run (Queued) and queues a
/// worker process for it.
/// </summary>
public interface IRunLauncher
{
    LaunchResult Launch(JsonObject spec, string source = "portal");
    /// <summary>Launch on a chosen executor (null: <c>ScottLab:Executor</c>) with per-run job settings.</summary>
    LaunchResult Launch(JsonObject spec, string source, LaunchOptions? options) =>
        options is null || (options.Executor is null && options.Slurm is null)
            ? Launch(spec, source)
            : new LaunchResult(null, [new SpecProblem("executor", "this launcher has one executor; leave executor and slurm out.")]);
    /// <summary>What <see cref="Launch(JsonObject, string, LaunchOptions?)"/> would refuse, without storing or queueing
    /// anything (a sweep checks every trial before it queues one).</summary>
    IReadOnlyList<SpecProblem> Check(JsonObject spec, LaunchOptions? options = null);
    /// <summary>Stops the run's worker (it saves a checkpoint) or drops it from the queue. False when it is not running or queued.</summary>
    bool Cancel(string runId);
    /// <summary>Queues a Failed, Cancelled or Interrupted run to continue from its latest checkpoint.</summary>
    bool Resume(string runId);
    /// <summary>
    /// Queues `scott-lab eval --run DIR --protocol P` for a run: it waits for a device slot like a training session, and
    /// one evaluation per run runs at a time. Its results land in the store.
    /// </summary>
    /// <param name="checkpoints">null: the latest checkpoint; all | last | every:N: those checkpoints, merged into the run's accuracy curve (eval/curve.json).</param>
    EvaluationRequest Evaluate(string runId, string protocol, int? labelsPerClass = null, string? checkpoints = null);
    /// <summary>Stops the run's queued or running evaluation; the run itself is untouched.</summary>
    EvaluationCancel CancelEvaluation(string runId) => new(false, "this launcher cannot cancel evaluations.");
}
