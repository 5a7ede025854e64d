using Scott.Lab.Web.Hosting;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Compare;
using Scott.Lab.Web.Features.Maps;
using Scott.Lab.Web.Features.Plugins;
using Scott.Lab.Web.Features.Runs;
using Scott.Lab.Web.Features.Sessions;

namespace Scott.Lab.Web.Tests.Integration;

/// <summary>The REST API's contract, on a portal with its own empty data folder (no worker is started here).</summary>
public sealed class RunApiTests : IDisposable
{
    private readonly PortalHost _host = new(PortalHost.NewDataDir());

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task PluginsListsTheBuiltInPluginsWithKindVersionAndStatus()
    {
        var client = _host.CreateClient();
        var plugins = (await client.GetFromJsonAsync<JsonArray>("/api/plugins"))!;

        var scott = plugins.Single(p => p!["id"]!.GetValue<string>() == "scott" && p["kind"]!.GetValue<string>() == "tokenizer")!;
        Assert.Equal("Loaded", scott["status"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(scott["version"]!.GetValue<string>()));
        Assert.EndsWith(".dll", scott["file"]!.GetValue<string>());
        Assert.Contains(plugins, p => p!["id"]!.GetValue<string>() == "mim-jepa" && p["kind"]!.GetValue<string>() == "objective");
        Assert.Contains(plugins, p => p!["id"]!.GetValue<string>() == "fashion-mnist-sample" && p["kind"]!.GetValue<string>() == "dataset");
    }

    [Fact]
    public async Task RunsListFiltersAndUnknownRunsAre404()
    {
        var client = _host.CreateClient();
        var store = _host.Store;
        var done = store.Create(new RunRecord { Name = "alpha-run", Status = RunStatus.Completed, Tags = ["paper"], Objective = "mim-jepa" });
        store.Create(new RunRecord { Name = "beta-run", Status = RunStatus.Failed });
        store.AppendMetrics(done.Id, 9, new Dictionary<string, double> { ["loss"] = 0.5, ["lr"] = 1e-3 });
        store.AppendMetrics(done.Id, 19, new Dictionary<string, double> { ["loss"] = 0.4, ["lr"] = 9e-4 });

        var all = (await client.GetFromJsonAsync<JsonArray>("/api/runs"))!;
        Assert.Equal(2, all.Count);
        Assert.Equal("Completed", all.Single(r => r!["name"]!.GetValue<string>() == "alpha-run")!["status"]!.GetValue<string>()); // enums as strings, camelCase
        Assert.Single((await client.GetFromJsonAsync<JsonArray>("/api/runs?search=alpha"))!);
        Assert.Single((await client.GetFromJsonAsync<JsonArray>("/api/runs?status=failed"))!);
        Assert.Single((await client.GetFromJsonAsync<JsonArray>("/api/runs?tag=paper"))!);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/runs?status=sleeping")).StatusCode);

        var one = await Specs.GetRun(client, done.Id);
        Assert.Equal("alpha-run", one.Name);

        var metrics = (await client.GetFromJsonAsync<JsonObject>($"/api/runs/{done.Id}/metrics?names=loss"))!;
        var rows = metrics["rows"]!.AsArray();
        Assert.Equal([9L, 19L], rows.Select(r => r!["step"]!.GetValue<long>()));
        Assert.Equal(0.4, rows[1]!["values"]!["loss"]!.GetValue<double>());
        Assert.Null(rows[1]!["values"]!["lr"]); // only the series asked for

        var missing = await client.GetAsync("/api/runs/20200101-000000-none");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("no run '20200101-000000-none'", (await missing.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/runs/20200101-000000-none/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/api/runs/20200101-000000-none/cancel", null)).StatusCode);
        // A finished run can't be cancelled; a Completed one can't be resumed.
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync($"/api/runs/{done.Id}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync($"/api/runs/{done.Id}/resume", null)).StatusCode);
    }

    [Fact]
    public async Task ABadSpecIs400WithEveryFieldError()
    {
        var client = _host.CreateClient();
        var spec = Specs.Tiny("optimizer.lr=-1", "objective.id=nope", "model.widht=64");

        var response = await client.PostAsync("/api/runs", Specs.Json(spec));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.Contains("must be between 0 (exclusive) and 10, got -1", errors["optimizer.lr"]![0]!.GetValue<string>());
        Assert.Contains("unknown objective 'nope'. Available: byol, dino, mae, mim-jepa, simclr, simmim, supervised, vicreg", errors["objective.id"]![0]!.GetValue<string>());
        Assert.Contains("unknown key", errors["model.widht"]![0]!.GetValue<string>());
        Assert.Empty(_host.Store.List()); // nothing stored, nothing queued

        var notAnObject = await client.PostAsync("/api/runs", Specs.Json(new JsonArray(1, 2)));
        Assert.Equal(HttpStatusCode.BadRequest, notAnObject.StatusCode);
        Assert.NotNull((await notAnObject.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["spec"]);
    }

    [Fact]
    public async Task BeyondLoopbackChangesNeedTheAdminKey()
    {
        using (var readOnly = new PortalHost(PortalHost.NewDataDir(), listenBeyondLoopback: "http://0.0.0.0:5080"))
        {
            var response = await readOnly.CreateClient().PostAsync("/api/runs", Specs.Json(Specs.Tiny()));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("ScottLab__AdminKey", (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
        }

        using var keyed = new PortalHost(PortalHost.NewDataDir(), listenBeyondLoopback: "http://0.0.0.0:5080", adminKey: "s3cret");
        var client = keyed.CreateClient();
        var bad = Specs.Json(Specs.Tiny("optimizer.lr=-1")); // refused by validation, i.e. after the gate: nothing starts
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/runs/x/cancel", null)).StatusCode);
        client.DefaultRequestHeaders.Add("X-Admin-Key", "wrong");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/runs", bad)).StatusCode);
        client.DefaultRequestHeaders.Remove("X-Admin-Key");
        client.DefaultRequestHeaders.Add("X-Admin-Key", "s3cret");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/runs", Specs.Json(Specs.Tiny("optimizer.lr=-1")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/runs")).StatusCode); // reading needs no key
    }

    [Fact]
    public async Task APortalRestartKeepsRunsAndMetricsAndInterruptsRunsWhoseWorkerIsGone()
    {
        string data = PortalHost.NewDataDir();
        int deadPid;
        using (var exited = System.Diagnostics.Process.Start("true")!) { exited.WaitForExit(); deadPid = exited.Id; }
        string doneId, orphanId;
        using (var first = new PortalHost(data))
        {
            _ = first.CreateClient(); // starts the host
            var done = first.Store.Create(new RunRecord { Name = "kept", Status = RunStatus.Completed, Step = 60, TotalSteps = 60 });
            first.Store.AppendMetrics(done.Id, 59, new Dictionary<string, double> { ["loss"] = 0.25 });
            var orphan = first.Store.Create(new RunRecord { Name = "orphan", Status = RunStatus.Queued, Source = "cli" });
            first.Store.Update(orphan.Id, r => { r.Status = RunStatus.Running; r.WorkerPid = deadPid; });
            (doneId, orphanId) = (done.Id, orphan.Id);
        }

        using var second = new PortalHost(data);
        var client = second.CreateClient();

        var kept = await Specs.GetRun(client, doneId);
        Assert.Equal((RunStatus.Completed, 60L), (kept.Status, kept.Step));
        var rows = (await client.GetFromJsonAsync<JsonObject>($"/api/runs/{doneId}/metrics"))!["rows"]!.AsArray();
        Assert.Equal(0.25, Assert.Single(rows)!["values"]!["loss"]!.GetValue<double>());

        var interrupted = await Specs.GetRun(client, orphanId);
        Assert.Equal(RunStatus.Interrupted, interrupted.Status);
        Assert.Null(interrupted.WorkerPid);
        Assert.Contains("the portal restarted while it ran; resume it", interrupted.History[^1].Message);
        Assert.Equal(2, (await client.GetFromJsonAsync<JsonArray>("/api/runs", ApiResults.Json))!.Count);
    }
}
