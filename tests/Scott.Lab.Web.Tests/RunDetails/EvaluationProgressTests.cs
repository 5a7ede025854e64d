using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Cli.Recording;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Sessions;
using Scott.Lab.Web.Hosting;
using Scott.Lab.Web.Tests.Integration;

namespace Scott.Lab.Web.Tests.RunDetails;

/// <summary>
/// Real `scott-lab worker` and `eval` processes reporting to a portal over HTTP: the evaluation's phases and its end
/// reach the store, both processes report their resource samples, and a cancelled evaluation stops its process and
/// leaves the run as it was.
/// </summary>
public sealed class EvaluationProgressTests
{
    private static readonly string[] Short = ["trainer.steps=6", "trainer.batch_size=16", "trainer.log_every=2", "trainer.checkpoint_every=3"];

    static EvaluationProgressTests() =>
        // Samples every second, so that a run of a few seconds has some (the default is every 10 s).
        Environment.SetEnvironmentVariable(ResourceSampler.IntervalVariable, "1");

    private static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done, string what, int seconds = 240)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (clock.Elapsed > TimeSpan.FromSeconds(seconds)) Assert.Fail($"{what} did not happen within {seconds} s; last: {System.Text.Json.JsonSerializer.Serialize(value, ApiResults.Json)}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task AnEvaluationReportsItsPhasesAndResourcesAndACancelStopsItAndLeavesTheRunAlone()
    {
        using var host = PortalHost.Http();
        var client = host.CreateClient();
        try
        {
            var launched = await client.PostAsync("/api/runs", Specs.Json(Specs.Tiny(Short)));
            Assert.Equal(HttpStatusCode.Created, launched.StatusCode);
            string id = JsonNode.Parse(await launched.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
            var run = await Specs.WaitFor(client, id, r => r.IsFinished, "Completed");
            Assert.True(run.Status == RunStatus.Completed, run.Error);
            await Eventually(() => Task.FromResult(host.Sessions.ActiveWorkers.Count), n => n == 0, "the worker exited");
            // The worker sampled itself while it trained.
            Assert.Contains(host.Store.ResourceSamples(id), s => s.Role == "worker" && s.RssBytes > 0 && s.Host == Environment.MachineName);

            // kNN: its phases (features of each split, then kNN) reach the store as they happen, then Completed.
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{id}/evaluate?protocol=knn", null)).StatusCode);
            var done = await Eventually(() => Task.FromResult(host.Store.Get(id)!.EvaluationProgress!), p => !p.IsActive, "the kNN evaluation ended");
            Assert.True(done.State == EvaluationState.Completed, $"{done.State}: {done.Message}\n" + SessionManager.LogTail(Path.Combine(run.Directory, "eval.log"), 30));
            Assert.Equal(["features train", "features validation", "features test", "knn"], done.Phases.Select(p => p.Stage));
            Assert.Contains("knn top-1", done.Message);
            Assert.Equal("knn", Assert.Single(host.Store.Evaluations(id)).Protocol);
            Assert.Equal(10, Assert.Single(host.Store.Evaluations(id)).Classes); // Fashion-MNIST's classes

            // The eval process exits once the portal has taken its last events (a moment after Completed).
            await Eventually(() => Task.FromResult(host.Sessions.ActiveEvaluations.Count), n => n == 0, "the kNN eval process exited", seconds: 90);

            // Linear probe: cancel it while it trains.
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{id}/evaluate?protocol=linear", null)).StatusCode);
            var probing = await Eventually(() => client.GetFromJsonAsync<EvaluationProgress>($"/api/runs/{id}/evaluation", ApiResults.Json),
                p => p!.Stage == "linear probe" || !p.IsActive, "the linear probe started");
            Assert.True(probing!.IsActive, $"it ended before it could be cancelled: {probing.State} {probing.Message}");
            Assert.Equal(EvaluationState.Running, probing.State);
            Assert.True(probing.Total >= 30, $"{probing.Total} epochs: at least --linear-epochs (30)");
            int pid = host.Sessions.ActiveEvaluations[id];

            // A second evaluation while one runs is refused, with the reason.
            var second = await client.PostAsync($"/api/runs/{id}/evaluate?protocol=knn", null);
            Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);

            var cancel = await client.PostAsync($"/api/runs/{id}/evaluation/cancel", null);
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
            Assert.Contains("the run and its earlier evaluations are untouched", await cancel.Content.ReadAsStringAsync());
            var cancelled = await Eventually(() => Task.FromResult(host.Store.Get(id)!.EvaluationProgress!), p => !p.IsActive, "the cancel took effect", seconds: 60);
            Assert.Equal(EvaluationState.Cancelled, cancelled.State);
            Assert.Contains("cancelled during linear probe", cancelled.Message);
            await Eventually(() => Task.FromResult(host.Sessions.ActiveEvaluations.Count), n => n == 0, "the eval process was let go", seconds: 60);
            Assert.False(SessionManager.IsAlive(pid), $"eval process {pid} still runs after the cancel");

            var after = host.Store.Get(id)!;
            Assert.Equal((RunStatus.Completed, run.Step), (after.Status, after.Step));
            Assert.Equal("knn", Assert.Single(host.Store.Evaluations(id)).Protocol); // the earlier result is kept, no linear one
            Assert.Contains(host.Store.ResourceSamples(id), s => s.Role == "eval" && s.CpuPercent >= 0 && s.RssBytes > 0);

            // The exported encoder: `scott-lab export` of the latest checkpoint, zipped with its sidecar. The tiny
            // preset's 1-stage tokenizer is not the reference's, so the default (auto) falls back to this project's names.
            var export = await client.GetAsync($"/api/runs/{id}/export.zip");
            Assert.True(export.StatusCode == HttpStatusCode.OK, await export.Content.ReadAsStringAsync());
            using (var zip = new System.IO.Compression.ZipArchive(new MemoryStream(await export.Content.ReadAsByteArrayAsync())))
            {
                Assert.Equal(["step-00000006-encoder-own-names.safetensors", "step-00000006-encoder-own-names.safetensors.json"], zip.Entries.Select(e => e.FullName).Order());
                using var sidecar = new StreamReader(zip.GetEntry("step-00000006-encoder-own-names.safetensors.json")!.Open());
                var json = JsonNode.Parse(sidecar.ReadToEnd())!;
                Assert.Equal(("scott-lab-export/1", "scott-lab"), (json["format"]!.GetValue<string>(), json["key_names"]!.GetValue<string>()));
            }
            var reference = await client.GetAsync($"/api/runs/{id}/export.zip?names=reference");
            Assert.Equal(HttpStatusCode.BadRequest, reference.StatusCode);
            Assert.Contains("--names own", await reference.Content.ReadAsStringAsync());
            var badPart = await client.GetAsync($"/api/runs/{id}/export.zip?part=head");
            Assert.Equal(HttpStatusCode.BadRequest, badPart.StatusCode);

            var nothing = await client.PostAsync($"/api/runs/{id}/evaluation/cancel", null);
            Assert.Equal(HttpStatusCode.Conflict, nothing.StatusCode);
            Assert.Contains("has no evaluation queued or running", await nothing.Content.ReadAsStringAsync());
        }
        finally
        {
            host.KillWorkers();
            foreach (var pid in host.Sessions.ActiveEvaluations.Values)
                try { using var p = Process.GetProcessById(pid); p.Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
    }
}
