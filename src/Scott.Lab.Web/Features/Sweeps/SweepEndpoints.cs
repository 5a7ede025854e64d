using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Scott.Lab.Engine.Config;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Sweeps;
using Scott.Lab.Web.Features.Sessions;
using Scott.Lab.Web.Hosting;
using static Scott.Lab.Web.Hosting.ApiResults;

namespace Scott.Lab.Web.Features.Sweeps;

/// <summary>
/// The sweeps REST API. <c>POST /api/sweeps</c> queues a sweep (same admin gate as POST /api/runs):
/// <code>
/// {"spec": {...as for POST /api/runs...}, "mode": "grid" | "random", "trials": 8, "seed": 0,
///  "parameters": {"optimizer.lr": [0.001, 0.003], "model.depth": {"min": 2, "max": 6, "steps": 3, "integer": true},
///                 "objective.options.mask_ratio": {"min": 0.4, "max": 0.8}},
///  "executor": "local", "slurm": {...}}
/// </code>
/// 201 with the sweep (its id, trials and run ids); 400 with every problem (key → messages) and nothing queued.
/// <c>GET /api/sweeps</c> lists sweeps, <c>GET /api/sweeps/{id}</c> gives one with its runs' statuses.
/// </summary>
public static class SweepEndpoints
{
    private static readonly string[] BodyKeys = ["spec", "mode", "trials", "seed", "parameters", "executor", "slurm"];
    private static readonly string[] RangeKeys = ["min", "max", "steps", "log", "integer"];

    public static IEndpointRouteBuilder MapSweepEndpoints(this IEndpointRouteBuilder app)
    {
        var sweeps = app.MapGroup("/api/sweeps");

        sweeps.MapGet("", (RunStore store) => Results.Json(store.ListSweeps(), Json));

        sweeps.MapGet("{id}", (string id, RunStore store) =>
            store.GetSweep(id) is { } sweep ? Results.Json(View(sweep, store), Json) : NotFound(id));

        sweeps.MapPost("", async (HttpContext context, SweepLauncher sweeper, AdminGate gate, IOptions<PortalOptions> options) =>
        {
            if (Refused(context, gate) is { } refusal) return refusal;
            var (bytes, problem) = await JsonBody.ReadAsync(context, options.Value.MaxJsonBodyKilobytes);
            if (problem is not null)
                return problem.Status == StatusCodes.Status400BadRequest ? Problems([new SpecProblem("body", problem.Message)]) : Error(problem.Status, problem.Message);
            JsonNode? body;
            try { body = JsonNode.Parse(bytes); }
            catch (JsonException e) { return Problems([new SpecProblem("body", $"is not valid JSON: {e.Message}")]); }
            if (body is not JsonObject request)
                return Problems([new SpecProblem("body", "must be a JSON object: {\"spec\": {...}, \"mode\": \"grid\", \"parameters\": {\"optimizer.lr\": [0.001, 0.003]}}")]);

            var (spec, definition, launch, problems) = Read(request);
            if (problems.Count > 0) return Problems(problems);
            var result = sweeper.Launch(spec!, definition!, "portal", launch);
            if (!result.Succeeded) return Problems(result.Errors);
            context.Response.Headers.Location = $"/api/sweeps/{result.Sweep!.Id}";
            return Results.Json(result.Sweep, Json, statusCode: StatusCodes.Status201Created);
        });

        return app;
    }

    /// <summary>A sweep with its runs as they are now (status, progress), for the API and the CLI.</summary>
    public static object View(SweepRecord sweep, RunStore store) => new
    {
        sweep.Id, sweep.Name, sweep.Mode, sweep.Trials, sweep.Seed, sweep.Parameters, sweep.TrialRuns, sweep.Source, sweep.CreatedUtc, sweep.Problems,
        Runs = store.RunsOfSweep(sweep.Id).Select(r => new { r.Id, r.Name, r.Status, r.Step, r.TotalSteps, r.LastLoss, r.Error }),
    };

    /// <summary>Reads a POST /api/sweeps body, or says everything wrong with it.</summary>
    public static (JsonObject? Spec, SweepDefinition? Definition, LaunchOptions? Launch, List<SpecProblem> Problems) Read(JsonObject request)
    {
        var problems = new List<SpecProblem>();
        foreach (var (key, _) in request)
            if (!BodyKeys.Contains(key)) problems.Add(new(key, $"unknown key (allowed: {string.Join(", ", BodyKeys)}); the run spec goes under \"spec\"."));
        var spec = request["spec"] as JsonObject;
        if (spec is null) problems.Add(new("spec", "is required: the base run spec, as for POST /api/runs ({\"dataset\": {\"id\": ...}, ...})."));

        var launchBody = new JsonObject();
        foreach (string key in new[] { "executor", "slurm" })
            if (request[key] is { } node) launchBody[key] = node.DeepClone();
        var (launch, launchProblems) = LaunchOptions.Extract(launchBody);
        problems.AddRange(launchProblems);

        SweepMode mode = SweepMode.Grid;
        if (request["mode"] is { } modeNode)
        {
            bool named = modeNode is JsonValue mv && mv.TryGetValue(out string? text) && !int.TryParse(text, out _) && Enum.TryParse(text, ignoreCase: true, out mode);
            if (!named) problems.Add(new("mode", $"must be \"grid\" or \"random\", got {modeNode.ToJsonString()}."));
        }
        int? trials = Integer(request, "trials", problems);
        int? seed = Integer(request, "seed", problems);

        var parameters = new List<SweepParameter>();
        if (request["parameters"] is not JsonObject given)
            problems.Add(new("parameters", "is required: an object of spec key → values or range, e.g. {\"optimizer.lr\": [0.001, 0.003], \"model.depth\": {\"min\": 2, \"max\": 4, \"steps\": 2, \"integer\": true}}."));
        else
            foreach (var (key, node) in given)
                if (Parameter(key, node, problems) is { } parameter) parameters.Add(parameter);

        return problems.Count > 0 ? (null, null, null, problems) : (spec, new SweepDefinition(parameters, mode, trials, seed), launch, problems);
    }

    private static SweepParameter? Parameter(string key, JsonNode? node, List<SpecProblem> problems)
    {
        string where = "parameters." + key;
        switch (node)
        {
            case JsonArray values:
                return new SweepParameter { Key = key, Values = (JsonArray)values.DeepClone() };
            case JsonObject range:
                foreach (var (name, _) in range)
                    if (!RangeKeys.Contains(name)) problems.Add(new(where, $"unknown range key '{name}' (allowed: {string.Join(", ", RangeKeys)}); a list of values is a JSON array."));
                var parameter = new SweepParameter
                {
                    Key = key,
                    Min = Number(range, "min", where, problems),
                    Max = Number(range, "max", where, problems),
                    Steps = Integer(range, "steps", problems, where),
                    Log = Flag(range, "log", where, problems),
                    Integer = Flag(range, "integer", where, problems),
                };
                return parameter;
            default:
                problems.Add(new(where, $"must be a list of values ([0.001, 0.003]) or a range ({{\"min\": 0.0001, \"max\": 0.01, \"log\": true}}), got {node?.ToJsonString() ?? "null"}."));
                return null;
        }
    }

    private static double? Number(JsonObject o, string name, string where, List<SpecProblem> problems)
    {
        if (o[name] is not { } node) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number) return SpecDocuments.Number(v);
        problems.Add(new(where, $"{name} must be a number, got {node.ToJsonString()}."));
        return null;
    }

    private static bool Flag(JsonObject o, string name, string where, List<SpecProblem> problems)
    {
        if (o[name] is not { } node) return false;
        if (node is JsonValue v && v.TryGetValue(out bool b)) return b;
        problems.Add(new(where, $"{name} must be true or false, got {node.ToJsonString()}."));
        return false;
    }

    private static int? Integer(JsonObject o, string name, List<SpecProblem> problems, string? where = null)
    {
        if (o[name] is not { } node) return null;
        if (node is JsonValue v && v.TryGetValue(out int n)) return n;
        problems.Add(new(where ?? name, $"{(where is null ? "" : name + " ")}must be a whole number, got {node.ToJsonString()}."));
        return null;
    }

    private static IResult NotFound(string id) =>
        Error(StatusCodes.Status404NotFound, $"no sweep '{id}'. GET /api/sweeps lists the sweeps.");

    private static IResult Problems(IEnumerable<SpecProblem> errors) =>
        Results.ValidationProblem(
            errors.GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
            title: "The sweep has problems; each key lists what to fix. Nothing was queued.");
}
