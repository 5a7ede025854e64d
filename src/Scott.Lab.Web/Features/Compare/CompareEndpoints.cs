using Scott.Lab.Runs.Comparison;
using Scott.Lab.Runs.Snapshots;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Features.Compare;

/// <summary>
/// Comparisons and share snapshots over HTTP. The view state is the query string of <c>/compare</c>
/// (<see cref="CompareView"/>). Reading a comparison or a snapshot needs nothing; creating, listing and revoking
/// snapshots go through the admin gate like every other change. A share token only names a snapshot: it opens
/// <c>/api/share/{token}…</c> (read-only) and nothing else.
/// </summary>
public static class CompareEndpoints
{
    public static IEndpointRouteBuilder MapCompareEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/compare", (HttpContext context, CompareService compare) =>
            TryLive(context, compare, out var error) is { } comparison ? Results.Text(ComparisonExport.ToJson(comparison), "application/json") : error!);

        app.MapGet("/api/compare/export.{format}", async (string format, HttpContext context, CompareService compare) =>
        {
            if (TryLive(context, compare, out var error) is not { } comparison) return error!;
            var (maps, note) = format == "html" ? await compare.LiveMapPicturesAsync(comparison, context.RequestAborted) : ([], null);
            return Export(format, comparison, "Scott.Lab comparison", maps, note);
        });

        app.MapPost("/api/snapshots", async (HttpContext context, CompareService compare, AdminGate gate) =>
        {
            if (ApiResults.Refused(context, gate) is { } refusal) return refusal;
            try
            {
                var view = CompareView.Parse(context.Request.QueryString.Value);
                var snapshot = await compare.CreateSnapshotAsync(view, context.Request.Query["title"].FirstOrDefault(), context.RequestAborted);
                context.Response.Headers.Location = $"/share/{snapshot.Id}";
                return Results.Json(Summary(snapshot), ApiResults.Json, statusCode: StatusCodes.Status201Created);
            }
            catch (Exception e) when (e is CompareViewException or SnapshotException)
            {
                return ApiResults.Error(StatusCodes.Status400BadRequest, e.Message);
            }
        });

        app.MapGet("/api/snapshots", (HttpContext context, CompareService compare, AdminGate gate) =>
            // The list holds every token: only those who may change things may read it.
            ApiResults.Refused(context, gate) ?? Results.Json(compare.Snapshots.List().Select(Summary), ApiResults.Json));

        app.MapDelete("/api/snapshots/{token}", (string token, HttpContext context, CompareService compare, AdminGate gate) =>
        {
            if (ApiResults.Refused(context, gate) is { } refusal) return refusal;
            return compare.Snapshots.Revoke(token) ? Results.NoContent() : SnapshotNotFound();
        });

        app.MapGet("/api/share/{token}", (string token, HttpContext context, CompareService compare) =>
            Shared(token, context, compare, (_, comparison) => Results.Text(ComparisonExport.ToJson(comparison), "application/json")));

        app.MapGet("/api/share/{token}/export.{format}", (string token, string format, HttpContext context, CompareService compare) =>
            Shared(token, context, compare, (snapshot, comparison) =>
                Export(format, comparison, snapshot.Title, format == "html" ? compare.SnapshotMapPictures(snapshot, comparison) : [], null)));

        app.MapGet("/api/share/{token}/maps/{runId}/{kind}/{image}.png", (string token, string runId, string kind, string image, CompareService compare) =>
            compare.Snapshots.Get(token) is not { } snapshot ? SnapshotNotFound()
            : compare.Snapshots.MapPng(snapshot, runId, kind, image) is { } png ? Results.File(png, "image/png")
            : ApiResults.Error(StatusCodes.Status404NotFound, $"this snapshot has no {kind} map of '{image}' for run '{runId}' (it froze only the images it was shared with)."));

        return app;
    }

    /// <summary>What the list shows of a snapshot (never its data).</summary>
    private static object Summary(SnapshotRecord snapshot) => new
    {
        token = snapshot.Id, url = $"/share/{snapshot.Id}", title = snapshot.Title, createdUtc = snapshot.CreatedUtc,
        runs = snapshot.Runs.Select(r => new { id = r.Id, name = r.Name }), maps = snapshot.Maps.Count, notes = snapshot.Notes,
    };

    /// <summary>The live comparison the query asks for, or null with the 400/404 that says what is wrong.</summary>
    private static Comparison? TryLive(HttpContext context, CompareService compare, out IResult? error)
    {
        error = null;
        CompareView view;
        try { view = CompareView.Parse(context.Request.QueryString.Value); }
        catch (CompareViewException e) { error = ApiResults.Error(StatusCodes.Status400BadRequest, e.Message); return null; }
        if (view.Runs.Count == 0)
        {
            error = ApiResults.Error(StatusCodes.Status400BadRequest, "runs: name the runs to compare, e.g. ?runs=<id>,<id> (GET /api/runs lists them).");
            return null;
        }
        var (runs, missing) = compare.LoadLive(view.Runs);
        if (missing.Count > 0)
        {
            error = ApiResults.Error(StatusCodes.Status404NotFound, $"no run {string.Join(", ", missing.Select(m => $"'{m}'"))}. GET /api/runs lists the runs.");
            return null;
        }
        return ComparisonBuilder.Build(runs, view);
    }

    private static IResult Shared(string token, HttpContext context, CompareService compare, Func<SnapshotRecord, Comparison, IResult> answer)
    {
        try
        {
            return compare.LoadSnapshot(token, context.Request.QueryString.Value) is { } loaded ? answer(loaded.Snapshot, loaded.Comparison) : SnapshotNotFound();
        }
        catch (CompareViewException e)
        {
            return ApiResults.Error(StatusCodes.Status400BadRequest, e.Message);
        }
    }

    private static IResult Export(string format, Comparison comparison, string title, IReadOnlyList<MapPicture> maps, string? mapsNote) => format switch
    {
        "csv" => Results.File(System.Text.Encoding.UTF8.GetBytes(ComparisonExport.Csv(comparison)), "text/csv; charset=utf-8", "comparison.csv"),
        "json" => Results.File(System.Text.Encoding.UTF8.GetBytes(ComparisonExport.ToJson(comparison)), "application/json", "comparison.json"),
        "html" => Results.File(System.Text.Encoding.UTF8.GetBytes(ComparisonExport.Html(comparison, title, maps, mapsNote)), "text/html; charset=utf-8", "comparison.html"),
        _ => ApiResults.Error(StatusCodes.Status404NotFound, $"no export '{format}': use export.csv, export.json or export.html."),
    };

    private static IResult SnapshotNotFound() =>
        ApiResults.Error(StatusCodes.Status404NotFound, "no such snapshot: it was revoked, or the link is wrong. Ask whoever shared it for a new link.");
}
