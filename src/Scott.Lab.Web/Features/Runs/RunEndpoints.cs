using Scott.Lab.Engine.Config;
using System.Text.Json;
using Microsoft.Extensions.Options;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Scott.Lab.Runs;
using Scott.Lab.Web.Hosting;
using static Scott.Lab.Web.Hosting.ApiResults;
using Scott.Lab.Web.Features.Sessions;

namespace Scott.Lab.Web.Features.Runs;

/// <summary>
/// The runs REST API: list, read, metrics, launch, cancel, resume, evaluate. JSON is camelCase with enums as
/// strings; errors are <c>{"error": "..."}</c>, spec problems a ValidationProblem (<c>errors: {key: [messages]}</c>).
/// Changes need the admin gate (header X-Admin-Key when the portal listens beyond loopback).
/// </summary>
public static class RunEndpoints
{
    public static IEndpointRouteBuilder MapRunEndpoints(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/runs");

        runs.MapGet("", (RunStore store, string? search, string? status, string? tag) =>
        {
            RunStatus? wanted = null;
            if (!string.IsNullOrWhiteSpace(status))
            {
                if (!Enum.TryParse<RunStatus>(status, ignoreCase: true, out var parsed) || int.TryParse(status, out _))
                    return Error(StatusCodes.Status400BadRequest, $"status: '{status}' is not one of {string.Join(", ", Enum.GetNames<RunStatus>())}.");
                wanted = parsed;
            }
            return Results.Json(store.List(new RunQuery(search, wanted, tag)), Json);
        });

        runs.MapGet("{id}", (string id, RunStore store) =>
            store.Get(id) is { } run ? Results.Json(run, Json) : NotFound(id));

        runs.MapGet("{id}/metrics", (string id, string? names, long? after, RunStore store) =>
        {
            if (store.Get(id) is null) return NotFound(id);
            var wanted = string.IsNullOrWhiteSpace(names) ? null : names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var rows = store.Metrics(id, wanted, after ?? -1);
            return Results.Json(new
            {
                runId = id,
                names = store.MetricNames(id),
                rows = rows.Select(r => new { step = r.Step, values = r.Values }),
            }, Json);
        });

        runs.MapGet("{id}/evaluations", (string id, RunStore store) =>
            store.Get(id) is null ? NotFound(id) : Results.Json(store.Evaluations(id), Json));

        runs.MapGet("{id}/artifacts", (string id, RunStore store) =>
            store.Get(id) is null ? NotFound(id) : Results.Json(store.Artifacts(id), Json));

        runs.MapPost("", async (HttpContext context, IRunLauncher launcher, AdminGate gate, IOptions<PortalOptions> options) =>
        {
            if (Refused(context, gate) is { } refusal) return refusal;
            var (bytes, problem) = await JsonBody.ReadAsync(context, options.Value.MaxJsonBodyKilobytes);
            if (problem is not null)
                return problem.Status == StatusCodes.Status400BadRequest ? SpecProblems([new SpecProblem("spec", problem.Message)]) : Error(problem.Status, problem.Message);
            JsonNode? body;
            try
            {
                body = JsonNode.Parse(bytes);
            }
            catch (JsonException e)
            {
                return SpecProblems([new SpecProblem("spec", $"is not valid JSON: {e.Message}")]);
            }
            if (body is not JsonObject spec)
                return SpecProblems([new SpecProblem("spec", "must be a JSON object in the presets' shape: {\"dataset\": {\"id\": ...}, \"tokenizer\": ..., \"objective\": ..., \"model\": ..., \"trainer\": ...}")]);
            // "executor" and "slurm" say where the run trains; the rest is the run spec.
            var (launch, launchProblems) = LaunchOptions.Extract(spec);
            if (launchProblems.Count > 0) return SpecProblems(launchProblems);
            var result = launcher.Launch(spec, "portal", launch);
            if (result.Run is not null && !result.Succeeded) // stored, but its executor could not start it (sbatch missing or refusing)
                return Results.Json(new { error = string.Join(" ", result.Errors.Select(e => e.Message)), run = result.Run }, Json, statusCode: StatusCodes.Status502BadGateway);
            if (!result.Succeeded) return SpecProblems(result.Errors);
            context.Response.Headers.Location = $"/api/runs/{result.Run!.Id}";
            return Results.Json(result.Run, Json, statusCode: StatusCodes.Status201Created);
        });

        runs.MapPost("{id}/cancel", (string id, HttpContext context, IRunLauncher launcher, RunStore store, AdminGate gate) =>
        {
            if (Refused(context, gate) is { } refusal) return refusal;
            if (store.Get(id) is not { } run) return NotFound(id);
            if (!launcher.Cancel(id))
                return Error(StatusCodes.Status409Conflict, $"run '{id}' is {run.Status}: only a Queued or Running run can be cancelled.");
            return Results.Json(store.Get(id), Json, statusCode: StatusCodes.Status202Accepted);
        });

        runs.MapPost("{id}/resume", (string id, HttpContext context, IRunLauncher launcher, RunStore store, AdminGate gate) =>
        {
            if (Refused(context, gate) is { } refusal) return refusal;
            if (store.Get(id) is not { } run) return NotFound(id);
            if (!launcher.Resume(id))
                return Error(StatusCodes.Status409Conflict, $"run '{id}' is {run.Status}: only a Failed, Cancelled or Interrupted run can be resumed.");
            return Results.Json(store.Get(id), Json, statusCode: StatusCodes.Status202Accepted);
        });

        runs.MapPost("{id}/evaluate", (string id, string? protocol, int? labelsPerClass, HttpContext context, IRunLauncher launcher, RunStore store, AdminGate gate) =>
        {
            if (Refused(context, gate) is { } refusal) return refusal;
            if (store.Get(id) is null) return NotFound(id);
            string p = string.IsNullOrWhiteSpace(protocol) ? "all" : protocol;
            var request = launcher.Evaluate(id, p, labelsPerClass);
            if (!request.Queued)
                return Error(request.Conflict ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest, request.Problem ?? "the evaluation was refused.");
            return Results.Json(new { runId = id, protocol = p, labelsPerClass, queued = true, ahead = request.Ahead, log = "eval.log in the run folder" }, Json,
                statusCode: StatusCodes.Status202Accepted);
        });

        return app;
    }

    private static IResult NotFound(string id) =>
        Error(StatusCodes.Status404NotFound, $"no run '{id}'. GET /api/runs lists the runs.");

    private static IResult SpecProblems(IEnumerable<SpecProblem> errors) =>
        Results.ValidationProblem(
            errors.GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
            title: "The spec has problems; each key lists what to fix.");
}
