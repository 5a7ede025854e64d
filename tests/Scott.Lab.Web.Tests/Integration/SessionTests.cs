using Scott.Lab.Web.Hosting;
using System.Diagnostics;
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

/// <summary>
/// Training sessions end to end: real `scott-lab worker` processes (started from this test's output folder, where
/// scott-lab.dll and the built-in plugins sit) on the tiny preset cut down to a few steps. The portal listens on a
/// loopback port, so its workers report over HTTP (SessionHardeningTests keep the in-memory server: store mode).
/// </summary>
[Collection(nameof(SessionTests))] // one worker at a time: the tests run on small shared machines
public sealed class SessionTests
{
    /// <summary>A few steps: rows at steps 1, 3, 5 (0-based), checkpoints after steps 3 and 6.</summary>
    private static readonly string[] Short = ["trainer.steps=6", "trainer.batch_size=16", "trainer.log_every=2", "trainer.checkpoint_every=3"];

    /// <summary>Long enough to act on while it trains; short enough to finish when resumed.</summary>
    private static readonly string[] Longer = ["trainer.steps=80", "trainer.batch_size=8", "trainer.log_every=2", "trainer.checkpoint_every=4"];

    private static async Task<RunRecord> Launch(HttpClient client, JsonObject spec)
    {
        var response = await client.PostAsync("/api/runs", Specs.Json(spec));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{response.StatusCode}: {body}");
        Assert.Equal($"/api/runs/{JsonNode.Parse(body)!["id"]}", response.Headers.Location?.ToString());
        return System.Text.Json.JsonSerializer.Deserialize<RunRecord>(body, ApiResults.Json)!;
    }

    [Fact]
    public async Task TheTinyPresetLaunchedThroughTheApiCompletesWithMetricsAndCheckpoints()
    {
        using var host = PortalHost.Http(); // workers report over HTTP
        var client = host.CreateClient();
        try
        {
            var queued = await Launch(client, Specs.Tiny([.. Short, "name=api-tiny"]));
            Assert.Equal("api-tiny", queued.Name);
            Assert.Equal("portal", queued.Source);
            Assert.Equal(("fashion-mnist-sample", "scott", "mim-jepa"), (queued.Dataset, queued.Tokenizer, queued.Objective));
            Assert.Contains("mask_ratio", Scott.Lab.Engine.Config.ConfigLoader.ToYaml(queued.Spec!)); // resolved: plugin defaults filled in

            var run = await Specs.WaitFor(client, queued.Id, r => r.Status is RunStatus.Completed or RunStatus.Failed, "Completed");

            Assert.True(run.Status == RunStatus.Completed, run.Error);
            Assert.Equal((6L, 6L), (run.Step, run.TotalSteps));
            Assert.Equal([RunStatus.Queued, RunStatus.Running, RunStatus.Completed], run.History.Select(h => h.Status).Distinct());
            Assert.Equal(3, run.Plugins.Count);
            var metrics = (await client.GetFromJsonAsync<JsonObject>($"/api/runs/{run.Id}/metrics?names=loss,lr"))!;
            var rows = metrics["rows"]!.AsArray();
            Assert.Equal([2L, 4L, 6L], rows.Select(r => r!["step"]!.GetValue<long>())); // rows are numbered by steps done
            Assert.All(rows, r => Assert.Equal(["loss", "lr"], r!["values"]!.AsObject().Select(kv => kv.Key).Order()));
            var checkpoints = host.Store.Artifacts(run.Id).Where(a => a.Kind == "checkpoint").ToList();
            Assert.Contains(checkpoints, a => a.Step == 6 && Directory.Exists(a.Path));
            Assert.Contains("step 6/6", File.ReadAllText(Path.Combine(run.Directory, "worker.log"))); // the worker's stderr
            // The worker records Completed, then exits; the portal stops watching it.
            for (int i = 0; i < 150 && host.Sessions.ActiveWorkers.Count > 0; i++) await Task.Delay(200);
            Assert.Empty(host.Sessions.ActiveWorkers);

            // Evaluate: `scott-lab eval` in the background records its result in the store.
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{run.Id}/evaluate?protocol=knn", null)).StatusCode);
            var clock = Stopwatch.StartNew();
            while (host.Store.Evaluations(run.Id).Count == 0 && clock.Elapsed < TimeSpan.FromSeconds(180)) await Task.Delay(500);
            Assert.True(host.Store.Evaluations(run.Id).Count > 0, "no evaluation recorded; eval.log:\n" + SessionManager.LogTail(Path.Combine(run.Directory, "eval.log"), 30));
            var evaluation = Assert.Single(host.Store.Evaluations(run.Id));
            Assert.Equal(("knn", 6L), (evaluation.Protocol, evaluation.CheckpointStep));
            Assert.True(File.Exists(Path.Combine(run.Directory, "eval.log")));
        }
        finally
        {
            host.KillWorkers();
        }
    }

    [Fact]
    public async Task CancelStopsWithACheckpointAQueuedRunIsDroppedAndResumeCompletes()
    {
        using var host = PortalHost.Http(); // workers report over HTTP
        var client = host.CreateClient();
        try
        {
            var running = await Launch(client, Specs.Tiny(Longer));
            var waiting = await Launch(client, Specs.Tiny(Short)); // one run per device: this one waits
            await Specs.WaitFor(client, running.Id, r => r.Status == RunStatus.Running && r.Step >= 2 || r.IsFinished, "Running, step 2");
            Assert.Equal(RunStatus.Queued, (await Specs.GetRun(client, waiting.Id)).Status);
            Assert.Equal([waiting.Id], host.Sessions.Queue);

            // A queued run is dropped without ever starting a worker.
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{waiting.Id}/cancel", null)).StatusCode);
            var dropped = await Specs.GetRun(client, waiting.Id);
            Assert.Equal(RunStatus.Cancelled, dropped.Status);
            Assert.False(File.Exists(Path.Combine(dropped.Directory, "worker.log")));

            // A running one stops after its step, with a checkpoint (SIGTERM, not a kill).
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{running.Id}/cancel", null)).StatusCode);
            var cancelled = await Specs.WaitFor(client, running.Id, r => r.IsFinished, "Cancelled");
            Assert.True(cancelled.Status == RunStatus.Cancelled, $"{cancelled.Status}: {cancelled.Error}");
            Assert.True(cancelled.Step < 80, $"it ran to the end ({cancelled.Step}) before the cancel");
            Assert.Contains(host.Store.Artifacts(running.Id), a => a.Kind == "checkpoint" && a.Step == cancelled.Step);

            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{running.Id}/resume", null)).StatusCode);
            var resumed = await Specs.WaitFor(client, running.Id, r => r.Status is RunStatus.Completed or RunStatus.Failed, "Completed after resume");
            Assert.True(resumed.Status == RunStatus.Completed, resumed.Error);
            Assert.Equal(80, resumed.Step);
            Assert.Contains(resumed.History, h => h.Message?.Contains($"resumed from step {cancelled.Step}") == true);
            var steps = host.Store.Metrics(running.Id).Select(m => m.Step).ToList();
            Assert.Equal(steps.Distinct().Count(), steps.Count);
            Assert.Equal(80, steps[^1]); // rows are numbered by steps done
        }
        finally
        {
            host.KillWorkers();
        }
    }

    [Fact]
    public async Task AWorkerThatOutlivesTheCancelGracePeriodIsKilledAndItsRunResumesFromTheLastCheckpoint()
    {
        using var host = PortalHost.Http(); // workers report over HTTP
        var client = host.CreateClient();
        try
        {
            var queued = await Launch(client, Specs.Tiny(Longer));
            var running = await Specs.WaitFor(client, queued.Id, r => r.Status == RunStatus.Running && r.Step >= 6 || r.IsFinished, "Running past a checkpoint");
            Assert.Equal(RunStatus.Running, running.Status);
            int pid = running.WorkerPid!.Value;

            // No grace: SIGTERM, then SIGKILL before the worker can finish its step and save (the hard-kill path).
            host.Sessions.CancelGracePeriod = TimeSpan.Zero;
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{queued.Id}/cancel", null)).StatusCode);
            var cancelled = await Specs.WaitFor(client, queued.Id, r => r.IsFinished, "Cancelled", seconds: 30);

            Assert.Equal(RunStatus.Cancelled, cancelled.Status);
            Assert.Contains("did not stop within 0 s and was killed", cancelled.History[^1].Message);
            Assert.False(host.Sessions.ActiveWorkers.ContainsKey(queued.Id));
            Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid)); // gone, not left running
            Assert.Contains(host.Store.Artifacts(queued.Id), a => a.Kind == "checkpoint" && a.Step >= 4);

            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{queued.Id}/resume", null)).StatusCode);
            var resumed = await Specs.WaitFor(client, queued.Id, r => r.Status is RunStatus.Completed or RunStatus.Failed, "Completed after resume");
            Assert.True(resumed.Status == RunStatus.Completed, resumed.Error);
            Assert.Equal(80, resumed.Step);
        }
        finally
        {
            host.KillWorkers();
        }
    }

    [Fact]
    public async Task WithALimitOfTwoPerDeviceTwoRunsTrainAtOnceAndAThirdWaits()
    {
        using var host = PortalHost.Http(settings: new Dictionary<string, string?> { ["ScottLab:MaxConcurrentRunsPerDevice"] = "2" });
        var client = host.CreateClient();
        try
        {
            var first = await Launch(client, Specs.Tiny([.. Longer, "trainer.device=cpu"]));
            var second = await Launch(client, Specs.Tiny([.. Longer, "trainer.device=cpu"]));
            var third = await Launch(client, Specs.Tiny([.. Short, "trainer.device=cpu"]));
            Assert.Equal([third.Id], host.Sessions.Queue); // two slots on the CPU: the third waits at once
            Assert.Equal(new[] { first.Id, second.Id }.Order(), host.Sessions.ActiveWorkers.Keys.Order()); // both started
            var a = await Specs.WaitFor(client, first.Id, r => r.Status == RunStatus.Running && r.Step >= 2 || r.IsFinished, "Running");
            var b = await Specs.WaitFor(client, second.Id, r => r.Status == RunStatus.Running && r.Step >= 2 || r.IsFinished, "Running");
            Assert.NotEqual(a.WorkerPid, b.WorkerPid);

            foreach (var id in new[] { first.Id, second.Id, third.Id })
            {
                var done = await Specs.WaitFor(client, id, r => r.Status is RunStatus.Completed or RunStatus.Failed, "Completed");
                Assert.True(done.Status == RunStatus.Completed, done.Error);
            }
            // The third started only when a slot was free: after one of the first two finished.
            var thirdStarted = (await Specs.GetRun(client, third.Id)).History.First(h => h.Status == RunStatus.Running).AtUtc;
            var firstFinished = new[] { first.Id, second.Id }.Select(id => host.Store.Get(id)!.History.First(h => h.Status == RunStatus.Completed).AtUtc).Min();
            Assert.True(thirdStarted >= firstFinished.AddSeconds(-1), $"the third started at {thirdStarted:O}, before a slot was free ({firstFinished:O})");
        }
        finally
        {
            host.KillWorkers();
        }
    }

    [Fact]
    public async Task AKilledWorkerFailsWithItsLogTailAndItsResumeSurvivesAPortalRestart()
    {
        string data = PortalHost.NewDataDir();
        int port = PortalHost.FreePort(); // the restarted portal answers at the same URL, as a real one would
        string id;
        using (var host = PortalHost.Http(data, port))
        {
            var client = host.CreateClient();
            try
            {
                id = (await Launch(client, Specs.Tiny(Longer))).Id;
                var running = await Specs.WaitFor(client, id, r => r.Status == RunStatus.Running && r.Step >= 6 || r.IsFinished, "Running past a checkpoint");
                Assert.Equal(RunStatus.Running, running.Status);
                int pid = running.WorkerPid!.Value;
                Assert.Equal(pid, host.Sessions.ActiveWorkers[id]); // the pid the portal started is the worker itself

                using (var worker = Process.GetProcessById(pid)) worker.Kill(); // SIGKILL: no chance to record anything

                var failed = await Specs.WaitFor(client, id, r => r.IsFinished, "Failed", seconds: 30);
                Assert.Equal(RunStatus.Failed, failed.Status);
                Assert.Contains("code 137", failed.Error);
                Assert.Contains("step ", failed.Error); // the end of worker.log: progress lines
                Assert.Contains("exited with code 137", failed.History[^1].Message);

                // Resume, then restart the portal while the resumed worker trains.
                Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{id}/resume", null)).StatusCode);
                await Specs.WaitFor(client, id, r => r.Status == RunStatus.Running || r.IsFinished, "Running again");
            }
            catch
            {
                host.KillWorkers();
                throw;
            }
        }

        using var restarted = PortalHost.Http(data, port);
        var again = restarted.CreateClient();
        try
        {
            var run = await Specs.GetRun(again, id);
            if (run.Status == RunStatus.Running) Assert.True(restarted.Sessions.ActiveWorkers.ContainsKey(id), "the live worker was not reattached");
            var done = await Specs.WaitFor(again, id, r => r.IsFinished, "Completed after resume");
            Assert.True(done.Status == RunStatus.Completed, done.Error);
            Assert.Equal(80, done.Step);
            var steps = restarted.Store.Metrics(id).Select(m => m.Step).ToList();
            Assert.Equal(steps.Distinct().Count(), steps.Count);
        }
        finally
        {
            restarted.KillWorkers();
        }
    }
}
