using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Scott.Lab.Runs;
using Scott.Lab.Web.Hosting;
using Scott.Lab.Web.Features.Maps;
using Scott.Lab.Web.Tests.Integration;

namespace Scott.Lab.Web.Tests.Compare;

/// <summary>
/// Snapshots and exports over HTTP, on a portal that pretends to listen beyond loopback with an admin key, so that
/// the gate is real: the key creates, lists and revokes; a share token opens its snapshot and nothing else.
/// </summary>
public sealed class ShareApiTests : IDisposable
{
    private const string Key = "the-admin-key";
    private readonly PortalHost _host = new(PortalHost.NewDataDir(), listenBeyondLoopback: "http://0.0.0.0:5080", adminKey: Key);
    private readonly FakeMapImages _maps = new();
    private readonly Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> _portal;

    public ShareApiTests() =>
        _portal = _host.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IMapImages>(_maps)));

    public void Dispose()
    {
        _portal.Dispose();
        _host.Dispose();
    }

    private RunStore Store => _portal.Services.GetRequiredService<RunStore>();

    private HttpClient Admin()
    {
        var client = _portal.CreateClient();
        client.DefaultRequestHeaders.Add(AdminGate.HeaderName, Key);
        return client;
    }

    private async Task<string> ShareAsync(string query)
    {
        var response = await Admin().PostAsync("/api/snapshots?" + query, null);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal($"/share/{body["token"]}", response.Headers.Location!.ToString());
        return body["token"]!.GetValue<string>();
    }

    [Fact]
    public async Task AShareTokenOpensItsSnapshotAndNothingElse()
    {
        var a = CompareSeed.FinishedRun(Store, "alpha", 32, 0.7);
        var b = CompareSeed.FinishedRun(Store, "beta", 64, 0.8);
        var anonymous = _portal.CreateClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.PostAsync($"/api/snapshots?runs={a.Id},{b.Id}", null)).StatusCode);

        string token = await ShareAsync($"runs={a.Id},{b.Id}&metrics=loss&title=Width%20sweep");
        Assert.Matches("^[A-Za-z0-9_-]{22}$", token);

        // Anyone can read it, as JSON and as the page.
        var shared = (await anonymous.GetFromJsonAsync<JsonObject>($"/api/share/{token}"))!;
        Assert.Equal(["alpha", "beta"], shared["runs"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()));
        string page = await anonymous.GetStringAsync($"/share/{token}");
        Assert.Contains("Width sweep", page);
        Assert.Contains("read-only snapshot", page);

        // The token is no key: changes, the snapshot list and revoking are refused with it.
        var withToken = _portal.CreateClient();
        withToken.DefaultRequestHeaders.Add(AdminGate.HeaderName, token);
        Assert.Equal(HttpStatusCode.Forbidden, (await withToken.PostAsync($"/api/runs/{a.Id}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await withToken.PostAsync($"/api/snapshots?runs={a.Id}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await withToken.DeleteAsync($"/api/snapshots/{token}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await withToken.GetAsync("/api/snapshots")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.PostAsync($"/api/runs/{a.Id}/cancel?share={token}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await withToken.PostAsync($"/api/share/{token}", null)).StatusCode);

        var list = (await Admin().GetFromJsonAsync<JsonArray>("/api/snapshots"))!;
        Assert.Equal(token, list.Single()!["token"]!.GetValue<string>());
    }

    [Fact]
    public async Task ARevokedTokenIs404AndADeletedRunStillShowsInItsSnapshot()
    {
        var a = CompareSeed.FinishedRun(Store, "doomed-run", 32, 0.7);
        var b = CompareSeed.FinishedRun(Store, "kept-run", 64, 0.8);
        string token = await ShareAsync($"runs={a.Id},{b.Id}&images=test-1,test-2&map=attention");
        string other = await ShareAsync($"runs={b.Id}");

        Store.Delete(a.Id);
        Store.Update(b.Id, r => r.Name = "renamed-later");
        var anonymous = _portal.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/compare?runs={a.Id}")).StatusCode);
        var shared = (await anonymous.GetFromJsonAsync<JsonObject>($"/api/share/{token}"))!;
        Assert.Equal(["doomed-run", "kept-run"], shared["runs"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()));
        Assert.Equal(2, shared["metrics"]![0]!["curves"]!.AsArray().Count);
        Assert.Contains("doomed-run", await anonymous.GetStringAsync($"/share/{token}"));

        // The maps were frozen: original and both kinds of each image, per run, as the renderer drew them.
        var png = await anonymous.GetByteArrayAsync($"/api/share/{token}/maps/{a.Id}/attention/test-2.png");
        Assert.Equal(FakeMapImages.ColorOf(a.Id, MapKind.Attention, "test-2"), FakeMapImages.PixelOf(png));
        Assert.Equal(12, _maps.Requests.Count);
        Assert.All(_maps.Requests, r => Assert.Equal(["test-1", "test-2"], r.ImageSet));
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/share/{token}/maps/{a.Id}/pca/test-9.png")).StatusCode);
        string html = await anonymous.GetStringAsync($"/api/share/{token}/export.html");
        Assert.Equal(8, html.Split("data:image/png;base64,").Length - 1); // 2 runs × 2 images × (original + attention)
        Assert.Contains("doomed-run", html);

        Assert.Equal(HttpStatusCode.NoContent, (await Admin().DeleteAsync($"/api/snapshots/{token}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/share/{token}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/share/{token}/maps/{a.Id}/attention/test-2.png")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/share/{token}/export.csv")).StatusCode);
        Assert.Contains("No such snapshot", await anonymous.GetStringAsync($"/share/{token}"));
        Assert.Equal(HttpStatusCode.NotFound, (await Admin().DeleteAsync($"/api/snapshots/{token}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/api/share/{other}")).StatusCode); // the other snapshot is untouched
    }

    [Fact]
    public async Task ASnapshotKeepsTheAccuracyCurvesAsTheyWere()
    {
        var ssl = CompareSeed.FinishedRun(Store, "ssl", 32, 0.7);
        var other = CompareSeed.FinishedRun(Store, "no-curve", 64, 0.8);
        string folder = Directory.CreateTempSubdirectory("scott-lab-share-curve-").FullName;
        Store.Update(ssl.Id, r => r.Directory = folder);
        var curve = new Scott.Lab.Engine.Evaluation.AccuracyCurve();
        foreach (var (step, top1) in new[] { (20L, 0.5), (40L, 0.6), (60L, 0.65) })
            curve.Merge($"step-{step:D8}", step, step * 64, [new Scott.Lab.Engine.Evaluation.CurveResult { Protocol = "knn", Top1 = top1, Selected = "knn k=20" }]);
        curve.Write(folder);

        string token = await ShareAsync($"runs={ssl.Id},{other.Id}");
        Directory.Delete(folder, recursive: true); // the run's files go; the snapshot keeps its copy

        string page = await _portal.CreateClient().GetStringAsync($"/share/{token}");
        Assert.Contains("Accuracy across pre-training", page);
        // The frozen curve (3 points) and the other run's latest linear and knn results as flat lines (2 ends each).
        Assert.Contains("data-points=\"7\"", page);
        Assert.Contains("3 evaluated checkpoints", page);
    }

    [Fact]
    public async Task ImagesTheRendererRefusesAreLeftOutWithANote()
    {
        var a = CompareSeed.FinishedRun(Store, "a", 32, 0.7);
        string token = await ShareAsync($"runs={a.Id}&images=missing-1");
        var list = (await Admin().GetFromJsonAsync<JsonArray>("/api/snapshots"))!;
        var snapshot = list.Single(s => s!["token"]!.GetValue<string>() == token)!;
        Assert.Equal(0, snapshot["maps"]!.GetValue<int>());
        Assert.Contains("no image 'missing-1'", snapshot["notes"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task ExportsHoldTheMetricsAndTheEvaluationTable()
    {
        var a = CompareSeed.FinishedRun(Store, "alpha", 32, 0.7, points: 5);
        var b = CompareSeed.FinishedRun(Store, "beta, with comma", 64, 0.8, points: 5);
        var client = _portal.CreateClient();
        string query = $"runs={a.Id},{b.Id}&metrics=loss&x=wall&smooth=0.5";

        string csv = await client.GetStringAsync("/api/compare/export.csv?" + query);
        var lines = csv.TrimEnd('\n').Split('\n');
        Assert.Equal("table,run_id,run_name,series,step,x,value,smoothed", lines[0]);
        Assert.Equal(10, lines.Count(l => l.StartsWith("metric,")));
        Assert.Contains($"metric,{a.Id},alpha,loss,10,0,2.032,2.032", lines);
        Assert.Contains(lines, l => l.StartsWith($"metric,{b.Id},\"beta, with comma\",loss,20,0.5,1.064,"));
        Assert.Contains($"evaluation,{b.Id},\"beta, with comma\",\"linear, all labels: top-1\",,,0.8,", lines);
        Assert.Equal(12, lines.Count(l => l.StartsWith("evaluation,")));

        var json = (await client.GetFromJsonAsync<JsonObject>("/api/compare/export.json?" + query))!;
        Assert.Equal(query, json["query"]!.GetValue<string>());
        var curve = json["metrics"]![0]!["curves"]![1]!;
        Assert.Equal(b.Id, curve["runId"]!.GetValue<string>());
        Assert.Equal([0, 0.5, 1, 1.5, 2], curve["x"]!.AsArray().Select(v => v!.GetValue<double>()));
        var linear = json["evaluations"]!.AsArray().First(e => e!["protocol"]!.GetValue<string>() == "linear")!;
        Assert.Equal([false, true], linear["values"]!.AsArray().Select(v => v!["best"]!.GetValue<bool>()));

        string html = await client.GetStringAsync("/api/compare/export.html?" + query + "&images=test-3");
        Assert.Contains("<svg", html);
        Assert.Contains("data:image/png;base64,", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("src=\"/", html); // nothing fetched from the portal: it opens offline

        var bad = await client.GetAsync("/api/compare/export.csv?runs=" + a.Id + "&x=time");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("x: 'time' must be one of step, epoch, wall", (await bad.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/compare/export.xlsx?runs=" + a.Id)).StatusCode);
    }
}
