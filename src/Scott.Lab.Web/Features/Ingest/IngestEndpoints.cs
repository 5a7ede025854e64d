using System.Text.Json;
using Microsoft.Extensions.Options;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Reporting;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Features.Ingest;

/// <summary>
/// The ingest API: how workers (on this machine or on cluster nodes) report their runs, so the portal is the only
/// process that opens the run store. Every call but the CLI-run registration authenticates with the run's token
/// (<c>Authorization: Bearer</c>, see <see cref="IngestTokens"/>); the admin gate does not apply (the token is the
/// credential), and workers send no Origin, so the cross-site guard lets them through.
/// <list type="bullet">
/// <item><c>GET /api/ingest/runs/{id}</c>: the run's spec, folder, status and applied sequence;</item>
/// <item><c>POST /api/ingest/runs/{id}/claim</c>: the worker's atomic claim (<see cref="RunClaim"/>); 409 with the refusal;</item>
/// <item><c>POST /api/ingest/runs/{id}/events</c>: a batch of <see cref="RunEvent"/>s, applied in order; answers the highest applied sequence;</item>
/// <item><c>POST /api/ingest/runs</c>: `train --portal` records a CLI run (admin key where the gate needs one) and gets its token.</item>
/// </list>
/// </summary>
public static class IngestEndpoints
{
    public static IServiceCollection AddIngest(this IServiceCollection services) =>
        services.AddSingleton<IngestTokens>().AddSingleton<WorkerReporting>();

    public static WebApplication MapIngestEndpoints(this WebApplication app)
    {
        var runs = app.MapGroup("/api/ingest/runs");

        runs.MapGet("/{id}", (string id, HttpContext context, RunStore store) =>
        {
            var (run, _, refused) = Authorize(context, store, id);
            return refused ?? Results.Json(IngestRun.Of(run!), RunEvent.Json);
        });

        runs.MapPost("/{id}/claim", async (string id, HttpContext context, RunStore store, IOptions<PortalOptions> options) =>
        {
            var (_, scope, refused) = Authorize(context, store, id);
            if (refused is not null) return refused;
            if (scope != IngestScope.Worker) return ApiResults.Error(StatusCodes.Status403Forbidden, $"this token is an evaluation's: only run {id}'s worker token may claim it.");
            var (claim, problem) = await ReadAsync<ClaimRequest>(context, options.Value);
            if (problem is not null) return problem;
            if (claim!.Pid <= 0 || string.IsNullOrEmpty(claim.Host) || claim.StartedUtc == default)
                return ApiResults.Error(StatusCodes.Status400BadRequest, "claim: pid, startedUtc and host (the worker's identity) are required.");
            var me = new WorkerIdentity(claim.Pid, DateTime.SpecifyKind(claim.StartedUtc, DateTimeKind.Utc), claim.Host);
            var (claimed, refusal) = RunClaim.TryClaim(store, id, claim.ClaimToken, me, claim.Attempt);
            if (claimed is null) return ApiResults.Error(StatusCodes.Status409Conflict, refusal!);
            return Results.Json(IngestRun.Of(claimed), RunEvent.Json);
        });

        runs.MapPost("/{id}/events", async (string id, HttpContext context, RunStore store, IOptions<PortalOptions> options) =>
        {
            var (_, scope, refused) = Authorize(context, store, id);
            if (refused is not null) return refused;
            var (batch, problem) = await ReadAsync<RunEventBatch>(context, options.Value);
            if (problem is not null) return problem;
            var events = batch!.Events ?? [];
            for (int i = 0; i < events.Count; i++)
            {
                var e = events[i];
                if (e is null) return ApiResults.Error(StatusCodes.Status400BadRequest, $"events[{i}]: null; send event objects.");
                if (e.Problem() is { } what) return ApiResults.Error(StatusCodes.Status400BadRequest, $"events[{i}] (seq {e.Seq}, {e.Kind}): {what}; nothing in this batch was applied.");
                if (scope == IngestScope.Evaluation && (e.Kind is not (RunEventKind.Evaluation or RunEventKind.Artifact or RunEventKind.EvaluationProgress or RunEventKind.Resources) || e.Seq != 0))
                    return ApiResults.Error(StatusCodes.Status403Forbidden, $"events[{i}]: an evaluation's token may only send unsequenced Evaluation, Artifact, EvaluationProgress and Resources events, not {e.Kind} (seq {e.Seq}); nothing was applied.");
            }
            long? applied = store.ApplyEvents(id, events);
            if (applied is null) return ApiResults.Error(StatusCodes.Status404NotFound, $"no run '{id}' (it was deleted).");
            return Results.Json(new RunEventAck(applied.Value), RunEvent.Json);
        });

        runs.MapPost("", async (HttpContext context, RunStore store, AdminGate gate, IngestTokens tokens, IOptions<PortalOptions> options) =>
        {
            if (ApiResults.Refused(context, gate) is { } notAllowed) return notAllowed;
            var (request, problem) = await ReadAsync<CliRunRequest>(context, options.Value);
            if (problem is not null) return problem;
            if (request!.Spec is null || string.IsNullOrWhiteSpace(request.Directory))
                return ApiResults.Error(StatusCodes.Status400BadRequest, "a CLI run needs spec (the resolved spec tree) and directory (its run folder).");
            if (RunLimits.NameProblem(request.Name ?? "") is { } tooLong) return ApiResults.Error(StatusCodes.Status400BadRequest, $"name: {tooLong}");
            request.Name ??= "";
            var run = store.RecordCliRun(request);
            string token = tokens.Issue(run.Id, IngestScope.Worker)!;
            return Results.Json(new CliRunResponse { Run = IngestRun.Of(store.Get(run.Id)!), Token = token }, RunEvent.Json, statusCode: StatusCodes.Status201Created);
        });
        return app;
    }

    /// <summary>The run and the token's scope on it, or the refusal: 401 without a token, 404 for no such run, 403 for a token that is not this run's.</summary>
    private static (RunRecord? Run, IngestScope Scope, IResult? Refused) Authorize(HttpContext context, RunStore store, string id)
    {
        string? header = context.Request.Headers.Authorization.FirstOrDefault();
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return (null, default, ApiResults.Error(StatusCodes.Status401Unauthorized,
                $"the ingest API needs run {id}'s token: send 'Authorization: Bearer <token>'. A worker the portal starts finds it in ${Cli.Recording.PortalClient.TokenVariable}."));
        }
        var run = store.Get(id);
        if (run is null) return (null, default, ApiResults.Error(StatusCodes.Status404NotFound, $"no run '{id}'."));
        if (IngestTokens.Verify(run, header[7..].Trim()) is not { } scope)
            return (null, default, ApiResults.Error(StatusCodes.Status403Forbidden,
                $"this token is not valid for run {id}: tokens are per run and issued when the portal starts its worker (a newer start replaces the old one)."));
        return (run, scope, null);
    }

    private static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpContext context, PortalOptions options) where T : class
    {
        var (bytes, problem) = await JsonBody.ReadAsync(context, options.MaxJsonBodyKilobytes);
        if (problem is not null) return (null, ApiResults.Error(problem.Status, $"the body {problem.Message}"));
        try
        {
            var value = JsonSerializer.Deserialize<T>(bytes!, RunEvent.Json);
            return value is null ? (null, ApiResults.Error(StatusCodes.Status400BadRequest, $"the body is empty: send a {typeof(T).Name} as JSON.")) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, ApiResults.Error(StatusCodes.Status400BadRequest, $"malformed {typeof(T).Name}: {e.Message} Send JSON as the scott-lab CLI does (docs/security.md, the ingest API)."));
        }
    }
}
