using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Reporting;
using Scott.Lab.Web.Tests.Integration;

namespace Scott.Lab.Web.Tests.RunDetails;

/// <summary>
/// The run's files over the API: downloads (checkpoint zip, config.yaml, metrics CSV, run files), the log's pages and
/// search, evaluation progress and resource samples; on a portal with its own data folder (no worker started).
/// </summary>
public sealed class RunDownloadApiTests : IDisposable
{
    private readonly PortalHost _host = new(PortalHost.NewDataDir());

    public void Dispose() => _host.Dispose();

    /// <summary>The "error" of an error answer, unescaped.</summary>
    private static async Task<string> ErrorOf(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())?["error"]?.GetValue<string>() ?? "(no error field)";

    private RunRecord SeedRun()
    {
        var run = _host.Store.Create(new RunRecord
        {
            Name = "download me", Status = RunStatus.Completed,
            Spec = Scott.Lab.Engine.Config.ConfigLoader.ParseTree("name: tiny\ntrainer:\n  steps: 6\n", "test spec"),
        });
        string checkpoint = Path.Combine(run.Directory, "checkpoints", "step-00000006");
        Directory.CreateDirectory(Path.Combine(checkpoint, "optimizer"));
        File.WriteAllText(Path.Combine(checkpoint, "state.json"), "{\"Step\": 6}");
        File.WriteAllBytes(Path.Combine(checkpoint, "optimizer", "moments.bin"), Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray());
        File.WriteAllText(Path.Combine(run.Directory, "worker.log"), string.Concat(Enumerable.Range(1, 3000).Select(i => i == 2500 ? "step 2500: NaN loss\n" : $"step {i}\n")));
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(run.Directory)!, "outside.txt"), "not the run's");
        _host.Store.AppendMetrics(run.Id, 1, new Dictionary<string, double> { ["loss"] = 2.5, ["lr"] = 0.001 });
        _host.Store.AppendMetrics(run.Id, 3, new Dictionary<string, double> { ["loss"] = 1.25 });
        return run;
    }

    [Fact]
    public async Task ACheckpointDownloadsAsAZipOfItsFolder()
    {
        var run = SeedRun();
        var client = _host.CreateClient();
        var response = await client.GetAsync($"/api/runs/{run.Id}/checkpoints/step-00000006.zip");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("step-00000006.zip", response.Content.Headers.ContentDisposition?.ToString());
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
        Assert.Equal(["step-00000006/optimizer/moments.bin", "step-00000006/state.json"], zip.Entries.Select(e => e.FullName).Order());
        using var moments = new MemoryStream();
        using (var entry = zip.GetEntry("step-00000006/optimizer/moments.bin")!.Open()) entry.CopyTo(moments);
        Assert.Equal(File.ReadAllBytes(Path.Combine(run.Directory, "checkpoints", "step-00000006", "optimizer", "moments.bin")), moments.ToArray());

        var missing = await client.GetAsync($"/api/runs/{run.Id}/checkpoints/step-00000099.zip");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("has no checkpoint 'step-00000099'. It has: step-00000006", await ErrorOf(missing));
        var traversal = await client.GetAsync($"/api/runs/{run.Id}/checkpoints/..%2F..%2Foutside.zip");
        Assert.Equal(HttpStatusCode.NotFound, traversal.StatusCode);
        var noRun = await client.GetAsync("/api/runs/20990101-000000-dead/checkpoints/step-00000006.zip");
        Assert.Equal(HttpStatusCode.NotFound, noRun.StatusCode);
        Assert.Contains("no run '20990101-000000-dead'", await ErrorOf(noRun));
    }

    [Fact]
    public async Task ConfigMetricsAndRunFilesDownloadAndNothingOutsideTheRunFolder()
    {
        var run = SeedRun();
        var client = _host.CreateClient();

        var config = await client.GetAsync($"/api/runs/{run.Id}/config.yaml");
        Assert.Equal(HttpStatusCode.OK, config.StatusCode);
        Assert.Contains("steps: 6", await config.Content.ReadAsStringAsync());
        Assert.Contains("attachment", config.Content.Headers.ContentDisposition?.ToString() ?? config.Headers.ToString());

        var csv = await client.GetStringAsync($"/api/runs/{run.Id}/metrics.csv");
        Assert.Equal(["step,loss,lr", "1,2.5,0.001", "3,1.25,"], csv.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')));

        var state = await client.GetAsync($"/api/runs/{run.Id}/files/checkpoints/step-00000006/state.json");
        Assert.Equal(HttpStatusCode.OK, state.StatusCode);
        Assert.Equal("{\"Step\": 6}", await state.Content.ReadAsStringAsync());

        foreach (var outside in new[] { "..%2Foutside.txt", "checkpoints%2F..%2F..%2Foutside.txt", "%2Fetc%2Fpasswd" })
        {
            var refused = await client.GetAsync($"/api/runs/{run.Id}/files/{outside}");
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{outside}: {refused.StatusCode}");
            Assert.Contains("outside the run folder", await ErrorOf(refused));
        }
        var folder = await client.GetAsync($"/api/runs/{run.Id}/files/checkpoints/step-00000006");
        Assert.Equal(HttpStatusCode.BadRequest, folder.StatusCode);
        Assert.Contains("is a folder", await ErrorOf(folder));
        var absent = await client.GetAsync($"/api/runs/{run.Id}/files/eval/linear.json");
        Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
        Assert.Contains("has no file 'eval/linear.json'", await ErrorOf(absent));
    }

    [Fact]
    public async Task TheLogIsPagedSearchedOnTheServerAndDownloadedWhole()
    {
        var run = SeedRun();
        var client = _host.CreateClient();
        Assert.Equal(["worker.log"], (await client.GetFromJsonAsync<JsonArray>($"/api/runs/{run.Id}/logs"))!.Select(n => n!.GetValue<string>()));

        var tail = (await client.GetFromJsonAsync<JsonObject>($"/api/runs/{run.Id}/logs/worker.log?lines=100"))!;
        var lines = tail["lines"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Equal(100, lines.Count);
        Assert.Equal(("step 2901", "step 3000"), (lines[0], lines[^1]));
        var older = (await client.GetFromJsonAsync<JsonObject>($"/api/runs/{run.Id}/logs/worker.log?lines=100&before={tail["start"]}"))!;
        Assert.Equal("step 2900", older["lines"]!.AsArray()[^1]!.GetValue<string>());

        var search = (await client.GetFromJsonAsync<JsonObject>($"/api/runs/{run.Id}/logs/worker.log/search?q=nan%20LOSS"))!;
        var match = Assert.Single(search["matches"]!.AsArray())!;
        Assert.Equal((2500L, "step 2500: NaN loss"), (match["line"]!.GetValue<long>(), match["text"]!.GetValue<string>()));
        var at = (await client.GetFromJsonAsync<JsonObject>($"/api/runs/{run.Id}/logs/worker.log?lines=2&from={match["offset"]}"))!;
        Assert.Equal("step 2500: NaN loss", at["lines"]!.AsArray()[0]!.GetValue<string>());

        var whole = await client.GetAsync($"/api/runs/{run.Id}/logs/worker.log/download");
        Assert.Equal(File.ReadAllText(Path.Combine(run.Directory, "worker.log")), await whole.Content.ReadAsStringAsync());

        var unknown = await client.GetAsync($"/api/runs/{run.Id}/logs/..%2F..%2Fscott-lab.db");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("Its logs: worker.log", await ErrorOf(unknown));
        var empty = await client.GetAsync($"/api/runs/{run.Id}/logs/worker.log/search?q=");
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
    }

    [Fact]
    public async Task EvaluationProgressAndResourceSamplesAreServedAndAnOlderSnapshotNeverReplacesANewerOne()
    {
        var run = SeedRun();
        var client = _host.CreateClient();
        var none = await client.GetAsync($"/api/runs/{run.Id}/evaluation");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Contains("has not been evaluated yet", await ErrorOf(none));

        var t0 = DateTime.UtcNow;
        RunEvent Progress(DateTime at, string stage, long done) => new()
        {
            Kind = RunEventKind.EvaluationProgress, AtUtc = at,
            Progress = new EvaluationProgress { State = EvaluationState.Running, Protocol = "linear", Stage = stage, Done = done, Total = 30, StartedUtc = t0, StageStartedUtc = t0, UpdatedUtc = at },
        };
        _host.Store.ApplyEvents(run.Id, [Progress(t0.AddSeconds(2), "linear probe", 12), Progress(t0.AddSeconds(1), "features test", 3)]);
        var progress = (await client.GetFromJsonAsync<JsonObject>($"/api/runs/{run.Id}/evaluation"))!;
        Assert.Equal(("Running", "linear probe", 12L), (progress["state"]!.GetValue<string>(), progress["stage"]!.GetValue<string>(), progress["done"]!.GetValue<long>()));
        Assert.Equal(RunStatus.Completed, _host.Store.Get(run.Id)!.Status); // the run itself is untouched

        _host.Store.ApplyEvents(run.Id, [new RunEvent
        {
            Kind = RunEventKind.Resources, AtUtc = t0,
            Sample = new ResourceSample { Role = "eval", Pid = 42, Host = "node1", AtUtc = t0, CpuPercent = 150, RssBytes = 300 << 20, GpuPercent = 80, GpuMemoryBytes = 2L << 30 },
        }]);
        _host.Store.ApplyEvents(run.Id, [new RunEvent { Kind = RunEventKind.Resources, AtUtc = t0, Sample = new ResourceSample { Role = "eval", Pid = 42, Host = "node1", AtUtc = t0, CpuPercent = 150, RssBytes = 300 << 20 } }]); // a replay
        var samples = (await client.GetFromJsonAsync<JsonArray>($"/api/runs/{run.Id}/resources"))!;
        var sample = Assert.Single(samples)!;
        Assert.Equal((150.0, 300L << 20, "eval"), (sample["cpuPercent"]!.GetValue<double>(), sample["rssBytes"]!.GetValue<long>(), sample["role"]!.GetValue<string>()));

        var cancel = await client.PostAsync($"/api/runs/{run.Id}/evaluation/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode); // nothing of this portal's runs: a recorded one with no process is marked Failed
        Assert.Contains("nothing to cancel", await ErrorOf(cancel));
        Assert.Equal(EvaluationState.Failed, _host.Store.Get(run.Id)!.EvaluationProgress!.State);
    }
}
