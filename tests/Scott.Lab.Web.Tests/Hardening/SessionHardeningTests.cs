using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Runs;
using Scott.Lab.Web.Hosting;
using Scott.Lab.Web.Tests.Integration;

namespace Scott.Lab.Web.Tests.Hardening;

/// <summary>
/// Issue 15, items 4, 5, 6 and 8: evaluations queue (one per run), dead CLI runs become Interrupted, a worker claims
/// its run atomically, launches start first come first served. Real `scott-lab` processes, like <see cref="SessionTests"/>.
/// </summary>
[Collection(nameof(SessionTests))]
public sealed class SessionHardeningTests
{
    private static readonly string[] Short = ["trainer.steps=6", "trainer.batch_size=16", "trainer.log_every=2", "trainer.checkpoint_every=3"];
    private static readonly string[] Long = ["trainer.steps=2000", "trainer.batch_size=8", "trainer.log_every=2", "trainer.checkpoint_every=4"];

    private static async Task<RunRecord> Launch(HttpClient client, JsonObject spec)
    {
        var response = await client.PostAsync("/api/runs", Specs.Json(spec));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{response.StatusCode}: {body}");
        return System.Text.Json.JsonSerializer.Deserialize<RunRecord>(body, ApiResults.Json)!;
    }

    /// <summary>`dotnet scott-lab.dll ARGS` from this test's output folder (where the portal finds its CLI too).</summary>
    private static Process StartCli(string dataDir, params string[] args)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            WorkingDirectory = Specs.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "scott-lab.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.ArgumentList.Add("--data-dir");
        info.ArgumentList.Add(dataDir);
        info.Environment["ScottLab__DataDir"] = dataDir;
        return Process.Start(info)!;
    }

    private static async Task<(int Exit, string Err)> Finish(Process process, int seconds = 300)
    {
        var err = process.StandardError.ReadToEndAsync();
        var @out = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { process.Kill(entireProcessTree: true); Assert.Fail($"scott-lab did not exit within {seconds} s:\n{await err}"); }
        return (process.ExitCode, await err + await @out);
    }

    private static async Task<T> Eventually<T>(Func<T> read, Func<T, bool> done, string what, int seconds = 120)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = read();
            if (done(value)) return value;
            if (clock.Elapsed > TimeSpan.FromSeconds(seconds)) { Assert.Fail($"not {what} within {seconds} s: {value}"); return value; }
            await Task.Delay(200);
        }
    }

    // ---- item 4: evaluations ---------------------------------------------------------------------------------

    [Fact]
    public async Task AnEvaluationWaitsInTheQueueAndASecondOneForTheSameRunIs409()
    {
        using var host = new PortalHost(PortalHost.NewDataDir());
        var client = host.CreateClient();
        try
        {
            var training = await Launch(client, Specs.Tiny([.. Long, "trainer.device=cpu"])); // takes the one CPU slot
            var done = host.Store.Create(new RunRecord { Name = "evaluated", Status = RunStatus.Completed, Spec = new System.Text.Json.Nodes.JsonObject { ["trainer"] = new System.Text.Json.Nodes.JsonObject { ["device"] = "cpu" } } });
            Directory.CreateDirectory(Path.Combine(done.Directory, "checkpoints"));

            var first = await client.PostAsync($"/api/runs/{done.Id}/evaluate?protocol=knn", null);
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            Assert.True((await first.Content.ReadFromJsonAsync<JsonObject>())!["queued"]!.GetValue<bool>());
            Assert.Equal([done.Id], host.Sessions.QueuedEvaluations); // behind the training run, not started beside it
            Assert.Empty(host.Sessions.ActiveEvaluations);

            var second = await client.PostAsync($"/api/runs/{done.Id}/evaluate?protocol=linear", null);
            Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
            Assert.Contains("already has an evaluation waiting in the queue: one evaluation of a run runs at a time",
                (await second.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync($"/api/runs/{done.Id}/evaluate?protocol=nope", null)).StatusCode);
            var badCheckpoints = await client.PostAsync($"/api/runs/{done.Id}/evaluate?protocol=knn&checkpoints=every:0", null);
            Assert.Equal(HttpStatusCode.BadRequest, badCheckpoints.StatusCode);
            Assert.Contains("checkpoints: 'every:0' is not one of all | last | every:N", (await badCheckpoints.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());

            // The slot frees: the evaluation starts (and fails quickly: its checkpoints folder is empty).
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{training.Id}/cancel", null)).StatusCode);
            await Eventually(() => File.Exists(Path.Combine(done.Directory, "eval.log")), x => x, "eval.log written", seconds: 180);
            Assert.Empty(host.Sessions.QueuedEvaluations);
            await Eventually(() => host.Sessions.ActiveEvaluations.Count, n => n == 0, "the evaluation ended", seconds: 180);
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{done.Id}/evaluate?protocol=knn", null)).StatusCode); // free again
        }
        finally
        {
            host.KillWorkers();
            foreach (var pid in host.Sessions.ActiveEvaluations.Values)
                try { using var p = Process.GetProcessById(pid); p.Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
    }

    // ---- item 5: liveness of CLI runs ------------------------------------------------------------------------

    [Fact]
    public async Task ACliTrainKilledWithSigkillBecomesInterruptedAndCanBeResumed()
    {
        string data = PortalHost.NewDataDir();
        using var host = new PortalHost(data);
        var client = host.CreateClient(); // the portal is up before the CLI run starts
        using var train = StartCli(data, ["train", Path.Combine(Specs.RepoRoot, "configs", "ssl", "tiny.yaml"), .. Long.SelectMany(s => new[] { "--set", s }), "--set", "name=cli-killed"]);
        var drain = Finish(train, seconds: 600);
        try
        {
            var running = await Eventually(() => host.Store.List().FirstOrDefault(r => r.Name == "cli-killed"),
                r => r is { Status: RunStatus.Running, Step: >= 2 } || train.HasExited, "Running", seconds: 240);
            Assert.True(running is { Status: RunStatus.Running }, $"the CLI run did not start: {(train.HasExited ? (await drain).Err : "")}");
            Assert.Equal(train.Id, running!.WorkerPid);
            Assert.Equal(Environment.MachineName, running.WorkerHost);
            Assert.NotNull(running.WorkerStartedUtc);

            train.Kill(); // SIGKILL: it records nothing
            await drain;

            var interrupted = await Specs.WaitFor(client, running.Id, r => r.Status != RunStatus.Running, "Interrupted", seconds: 60);
            Assert.Equal(RunStatus.Interrupted, interrupted.Status);
            Assert.Contains($"pid {train.Id} on {Environment.MachineName}", interrupted.Error);
            Assert.Null(interrupted.WorkerPid);
            Assert.True(interrupted.CanResume);
        }
        finally
        {
            if (!train.HasExited) train.Kill(entireProcessTree: true);
            host.KillWorkers();
        }
    }

    [Fact]
    public async Task ARunningRecordIsWatchedByPidStartTimeAndHost()
    {
        using var host = new PortalHost(PortalHost.NewDataDir());
        _ = host.CreateClient();
        host.Sessions.PollInterval = TimeSpan.FromMilliseconds(200);
        using var sleeper = Process.Start("sleep", "600")!;
        try
        {
            var me = new WorkerIdentity(sleeper.Id, sleeper.StartTime.ToUniversalTime(), Environment.MachineName);
            var live = host.Store.Create(new RunRecord { Name = "live", Source = "cli", Status = RunStatus.Running });
            host.Store.Update(live.Id, me.WriteTo);
            // The same pid with another start time: the process that trained it is gone and its pid was reused.
            var reused = host.Store.Create(new RunRecord { Name = "reused", Source = "cli", Status = RunStatus.Running });
            host.Store.Update(reused.Id, (me with { StartedUtc = me.StartedUtc.AddHours(-3) }).WriteTo);
            // Another machine's run: this portal can't tell, so it leaves it alone.
            var elsewhere = host.Store.Create(new RunRecord { Name = "elsewhere", Source = "cli", Status = RunStatus.Running });
            host.Store.Update(elsewhere.Id, (me with { Host = "some-other-machine" }).WriteTo);

            host.Sessions.CheckLiveness();
            Assert.Equal(RunStatus.Interrupted, host.Store.Get(reused.Id)!.Status);
            Assert.Equal(RunStatus.Running, host.Store.Get(live.Id)!.Status);
            Assert.Equal(sleeper.Id, host.Sessions.ActiveWorkers[live.Id]); // watched from now on
            Assert.Equal(RunStatus.Running, host.Store.Get(elsewhere.Id)!.Status);

            sleeper.Kill();
            var gone = await Eventually(() => host.Store.Get(live.Id)!, r => r.Status != RunStatus.Running, "no longer Running", seconds: 30);
            Assert.Equal(RunStatus.Interrupted, gone.Status);
            Assert.Contains("resume it", gone.History[^1].Message);
            Assert.Equal(RunStatus.Running, host.Store.Get(elsewhere.Id)!.Status);
        }
        finally
        {
            if (!sleeper.HasExited) sleeper.Kill();
        }
    }

    // ---- item 6: the claim -----------------------------------------------------------------------------------

    [Fact]
    public async Task OfTwoWorkersStartedForOneRunExactlyOneTrainsIt()
    {
        string data = PortalHost.NewDataDir();
        RunRecord queued;
        using (var store = new RunStore(data))
            queued = store.Create(new RunRecord { Name = "twice", Source = "portal", Status = RunStatus.Queued,
                Spec = Specs.Tiny([.. Short, "trainer.device=cpu"]) });

        using var a = StartCli(data, "worker", "--run", queued.Id);
        using var b = StartCli(data, "worker", "--run", queued.Id);
        var results = await Task.WhenAll(Finish(a), Finish(b));

        Assert.True(results.Count(r => r.Exit == 0) == 1 && results.Count(r => r.Exit == 3) == 1,
            string.Join("\n----\n", results.Select(r => $"exit {r.Exit}:\n{r.Err}")));
        Assert.Contains("not training: run " + queued.Id + " is ", results.Single(r => r.Exit == 3).Err);
        using var after = new RunStore(data);
        var run = after.Get(queued.Id)!;
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Single(run.History, h => h.Message?.StartsWith("claimed by worker") == true);
        Assert.Equal(["2", "4", "6"], File.ReadAllLines(Path.Combine(run.Directory, "metrics.jsonl"))
            .Select(l => JsonNode.Parse(l)!["step"]!.ToString()));
    }

    [Fact]
    public async Task AWorkerWithAStaleClaimTokenExitsWithoutTraining()
    {
        string data = PortalHost.NewDataDir();
        RunRecord queued;
        using (var store = new RunStore(data))
        {
            queued = store.Create(new RunRecord { Name = "restarted", Source = "portal", Status = RunStatus.Queued,
                Spec = Specs.Tiny([.. Short, "trainer.device=cpu"]) });
            store.Update(queued.Id, r => r.ClaimToken = "from-the-restarted-portal"); // the new portal queued it again
        }

        // The worker the old portal started, continuing after the restart.
        using var stale = StartCli(data, "worker", "--run", queued.Id, "--claim", "from-the-old-portal");
        var (exit, err) = await Finish(stale);

        Assert.True(exit == 3, err);
        Assert.Contains("this worker's claim token is stale", err);
        using var after = new RunStore(data);
        var run = after.Get(queued.Id)!;
        Assert.Equal(RunStatus.Queued, run.Status); // untouched: the new portal's worker trains it
        Assert.Equal("from-the-restarted-portal", run.ClaimToken);
        Assert.False(File.Exists(Path.Combine(run.Directory, "metrics.jsonl")));
    }

    // ---- item 8: FIFO ----------------------------------------------------------------------------------------

    [Fact]
    public async Task ConcurrentLaunchesQueueInTheOrderTheyWereCreatedAndKeepItAcrossARestart()
    {
        string data = PortalHost.NewDataDir();
        List<string> queue;
        using (var host = new PortalHost(data))
        {
            var client = host.CreateClient();
            try
            {
                await Task.WhenAll(Enumerable.Range(0, 30).Select(i => Launch(client, Specs.Tiny([.. Long, "trainer.device=cpu", $"name=fifo-{i:D2}"]))));
                queue = host.Sessions.Queue.ToList();
                Assert.Equal(29, queue.Count); // one trains
                var runs = queue.Select(id => host.Store.Get(id)!).ToList();
                var started = host.Store.Get(Assert.Single(host.Sessions.ActiveWorkers.Keys))!;
                for (int i = 1; i < runs.Count; i++)
                {
                    Assert.True(runs[i].QueuedUtc > runs[i - 1].QueuedUtc, $"queue position {i}: queued at {runs[i].QueuedUtc:O}, not after {runs[i - 1].QueuedUtc:O}");
                    Assert.True(runs[i].CreatedUtc >= runs[i - 1].CreatedUtc, $"queue position {i} ({runs[i].Name}) was created at {runs[i].CreatedUtc:O}, before position {i - 1} ({runs[i - 1].Name}, {runs[i - 1].CreatedUtc:O})");
                }
                Assert.True(started.CreatedUtc <= runs[0].CreatedUtc, "the run that started was not the first one created");
            }
            catch
            {
                host.KillWorkers();
                throw;
            }
        }

        using var restarted = new PortalHost(data);
        var again = restarted.CreateClient();
        try
        {
            var rebuilt = restarted.Sessions.Queue.ToList();
            Assert.Equal(queue.Skip(queue.Count - rebuilt.Count), rebuilt); // the same order (less any run that started meanwhile)
            foreach (var id in rebuilt) await again.PostAsync($"/api/runs/{id}/cancel", null);
            foreach (var id in restarted.Store.List().Where(r => r.Status == RunStatus.Running).Select(r => r.Id))
                await again.PostAsync($"/api/runs/{id}/cancel", null);
        }
        finally
        {
            restarted.KillWorkers();
        }
    }
}
