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

        runs.MapPost("{id}/evaluate", (string id, string? protocol, int? labelsPerClass, string? checkpoints, HttpContext context, IRunLauncher launcher, RunStore store, AdminGate gate) =>
        {
            if (Refused(context, gate) is { } refusal) return refusal;
            if (store.Get(id) is null) return NotFound(id);
            string p = string.IsNullOrWhiteSpace(protocol) ? "all" : protocol;
            var request = launcher.Evaluate(id, p, labelsPerClass, string.IsNullOrWhiteSpace(checkpoints) ? null : checkpoints.Trim());
            if (!request.Queued)
                return Error(request.Conflict ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest, request.Problem ?? "the evaluation was refused.");
            return Results.Json(new { runId = id, protocol = p, labelsPerClass, checkpoints, queued = true, ahead = request.Ahead, log = "eval.log in the run folder" }, Json,
                statusCode: StatusCodes.Status202Accepted);
        });

        MapRunFiles(runs);
        MapEvaluationProgress(runs);
        return app;
    }

    /// <summary>
    /// Reads and downloads of a run's files (open like the other reads): logs (paged, searched on the server, whole
    /// for download), checkpoints (a folder as a zip), config.yaml, the metrics as CSV, exported weights, and any file
    /// of the run folder by its relative path. Nothing outside the run folder is served.
    /// </summary>
    private static void MapRunFiles(RouteGroupBuilder runs)
    {
        runs.MapGet("{id}/logs", (string id, RunStore store) =>
            store.Get(id) is not { } run ? NotFound(id) : Results.Json(RunFiles.LogFiles(run.Directory), Json));

        runs.MapGet("{id}/logs/{name}", (string id, string name, long? from, long? before, int? lines, RunStore store) =>
        {
            if (store.Get(id) is not { } run) return NotFound(id);
            if (RunFiles.LogPath(run.Directory, name) is not { } path) return NoLog(run, name);
            if (from is < 0 || before is < 0 || lines is < 1) return Error(StatusCodes.Status400BadRequest, "from and before must be byte offsets (0 or more), lines at least 1.");
            return Results.Json(RunFiles.ReadLog(path, from, before, lines ?? 500), Json);
        });

        runs.MapGet("{id}/logs/{name}/search", (string id, string name, string? q, int? limit, RunStore store, CancellationToken cancel) =>
        {
            if (store.Get(id) is not { } run) return NotFound(id);
            if (RunFiles.LogPath(run.Directory, name) is not { } path) return NoLog(run, name);
            if (string.IsNullOrEmpty(q)) return Error(StatusCodes.Status400BadRequest, "q: the text to search for is missing (e.g. ?q=error).");
            if (q.Length > 200) return Error(StatusCodes.Status400BadRequest, $"q: at most 200 characters, got {q.Length}.");
            return Results.Json(RunFiles.SearchLog(path, q, limit ?? 200, cancel), Json);
        });

        runs.MapGet("{id}/logs/{name}/download", (string id, string name, RunStore store) =>
        {
            if (store.Get(id) is not { } run) return NotFound(id);
            if (RunFiles.LogPath(run.Directory, name) is not { } path) return NoLog(run, name);
            return SharedFile(path, "text/plain; charset=utf-8", $"{run.Name}-{name}");
        });

        runs.MapGet("{id}/checkpoints/{name}.zip", (string id, string name, HttpContext context, RunStore store) =>
        {
            if (store.Get(id) is not { } run) return NotFound(id);
            if (RunFiles.CheckpointFolder(run.Directory, Uri.UnescapeDataString(name)) is not { } folder)
            {
                var names = RunFiles.CheckpointFolders(run.Directory).Select(c => c.Name).ToList();
                return Error(StatusCodes.Status404NotFound, $"run '{id}' has no checkpoint '{name}'. " +
                    (names.Count == 0 ? "It has none yet." : $"It has: {string.Join(", ", names)}."));
            }
            // ZipArchive finishes each entry with synchronous writes; streamed straight to the response (a checkpoint can
            // be gigabytes: no temp copy), so this response allows them.
            if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpBodyControlFeature>() is { } body) body.AllowSynchronousIO = true;
            return Results.Stream(output => RunFiles.ZipFolderAsync(folder, output, context.RequestAborted), "application/zip", $"{run.Name}-{name}.zip".Replace(' ', '_'));
        });

        runs.MapGet("{id}/config.yaml", (string id, RunStore store) =>
        {
            if (store.Get(id) is not { } run) return NotFound(id);
            // The store's spec is the run's (config.yaml in the folder is its copy, written when the worker starts).
            if (run.Spec is null) return Error(StatusCodes.Status404NotFound, $"run '{id}' has no stored spec, so there is no config.yaml to download.");
            return new DownloadName(Results.Text(ConfigLoader.ToYaml(run.Spec), "application/yaml; charset=utf-8", System.Text.Encoding.UTF8), $"{run.Name}-config.yaml");
        });

        runs.MapGet("{id}/metrics.csv", (string id, RunStore store) =>
        {
            if (store.Get(id) is not { } run) return NotFound(id);
            return Results.Stream(output => RunFiles.WriteMetricsCsvAsync(store, id, output, CancellationToken.None), "text/csv; charset=utf-8",
                $"{run.Name}-metrics.csv".Replace(' ', '_'));
        });

        runs.MapGet("{id}/export.zip", async (string id, string? checkpoint, string? part, string? format, string? names, Interop.WeightsExport export, CancellationToken cancel) =>
        {
            try
            {
                var (zip, name) = await export.ExportAsync(id, checkpoint, part ?? "encoder", format ?? "safetensors", cancel, names);
                return SharedFile(zip, "application/zip", name);
            }
            catch (Interop.InteropRequestException e)
            {
                return Error(e.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest, e.Message);
            }
        });

        runs.MapGet("{id}/files/{**path}", (string id, string path, RunStore store) =>
        {
            if (store.Get(id) is not { } run) return NotFound(id);
            path = Uri.UnescapeDataString(path); // the server leaves an encoded '/' (%2F) encoded: judge the path it stands for
            if (RunFiles.InsideRun(run.Directory, path) is not { } full)
                return Error(StatusCodes.Status400BadRequest, $"path: '{path}' is outside the run folder; give a path inside it, e.g. metrics.jsonl or eval/linear.json.");
            if (Directory.Exists(full))
                return Error(StatusCodes.Status400BadRequest, $"path: '{path}' is a folder; download a checkpoint folder as GET /api/runs/{id}/checkpoints/NAME.zip.");
            if (!File.Exists(full)) return Error(StatusCodes.Status404NotFound, $"run '{id}' has no file '{path}' in its folder {run.Directory}.");
            var types = new Microsoft.AspNetCore.StaticFiles.FileExtensionContentTypeProvider();
            return SharedFile(full, types.TryGetContentType(full, out var type) ? type : "application/octet-stream", Path.GetFileName(full));
        });
    }

    /// <summary>The latest evaluation's progress, and its cancel (the run itself is untouched).</summary>
    private static void MapEvaluationProgress(RouteGroupBuilder runs)
    {
        runs.MapGet("{id}/evaluation", (string id, RunStore store) =>
        {
            if (store.Get(id) is not { } run) return NotFound(id);
            return run.EvaluationProgress is { } progress
                ? Results.Json(progress, Json)
                : Error(StatusCodes.Status404NotFound, $"run '{id}' has not been evaluated yet: POST /api/runs/{id}/evaluate starts one.");
        });

        runs.MapPost("{id}/evaluation/cancel", (string id, HttpContext context, IRunLauncher launcher, RunStore store, AdminGate gate) =>
        {
            if (Refused(context, gate) is { } refusal) return refusal;
            if (store.Get(id) is null) return NotFound(id);
            var cancel = launcher.CancelEvaluation(id);
            return cancel.Stopped
                ? Results.Json(new { runId = id, message = cancel.Message }, Json, statusCode: StatusCodes.Status202Accepted)
                : Error(StatusCodes.Status409Conflict, cancel.Message);
        });

        runs.MapGet("{id}/resources", (string id, DateTime? after, RunStore store) =>
            store.Get(id) is null ? NotFound(id) : Results.Json(store.ResourceSamples(id, after?.ToUniversalTime()), Json));
    }

    /// <summary>A file of a run streamed as a download, read while a worker may still write it.</summary>
    private static IResult SharedFile(string path, string contentType, string downloadName) =>
        Results.Stream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, useAsync: true),
            contentType, downloadName.Replace(' ', '_'), enableRangeProcessing: true);

    private static IResult NoLog(RunRecord run, string name)
    {
        var logs = RunFiles.LogFiles(run.Directory);
        return Error(StatusCodes.Status404NotFound, $"run '{run.Id}' has no log '{name}'. " +
            (logs.Count == 0 ? "It has no log yet (worker.log appears when its worker starts)." : $"Its logs: {string.Join(", ", logs)}."));
    }

    /// <summary>Adds Content-Disposition: attachment to a result that has no file name of its own (config.yaml).</summary>
    private sealed class DownloadName(IResult inner, string name) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.Headers.ContentDisposition = new System.Net.Mime.ContentDisposition { FileName = name.Replace(' ', '_') }.ToString();
            return inner.ExecuteAsync(context);
        }
    }

    private static IResult NotFound(string id) =>
        Error(StatusCodes.Status404NotFound, $"no run '{id}'. GET /api/runs lists the runs.");

    private static IResult SpecProblems(IEnumerable<SpecProblem> errors) =>
        Results.ValidationProblem(
            errors.GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
            title: "The spec has problems; each key lists what to fix.");
}
