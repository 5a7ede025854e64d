using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Reporting;
using Scott.Lab.Web.Features.Ingest;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Tests.Integration;

/// <summary>
/// Issue 18, the reporting path: the ingest API's tokens and idempotence (in-memory server), and workers that report
/// over HTTP to a portal on a loopback port, through portal outages and restarts (real `scott-lab` processes).
/// </summary>
[Collection(nameof(SessionTests))] // one worker at a time: the tests run on small shared machines
public sealed class IngestTests
{
    private static readonly string[] Longer = ["trainer.steps=80", "trainer.batch_size=8", "trainer.log_every=2", "trainer.checkpoint_every=4"];

    /// <summary>Rows at steps 2, 4, ..., 80: log_every=2 over 80 steps.</summary>
    private static readonly long[] EveryRowOfLonger = Enumerable.Range(1, 40).Select(i => 2L * i).ToArray(); // rows are numbered by steps done

    private static RunRecord StoredRun(PortalHost host, string name) =>
        host.Store.Create(new RunRecord { Name = name, Spec = Specs.Tiny(), Source = "cli", Status = RunStatus.Cancelled });

    private static HttpRequestMessage Post(string path, object body, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, body.GetType(), options: RunEvent.Json) };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static RunEventBatch Batch(params RunEvent[] events) => new() { Events = [.. events] };

    private static RunEvent Metrics(long seq, long step, double loss) =>
        new() { Seq = seq, Kind = RunEventKind.Metrics, AtUtc = DateTime.UtcNow, Step = step, Values = new() { ["loss"] = loss } };

    [Fact]
    public async Task ARunsTokenIsRefusedForAnotherRunAndAWrongOrMissingTokenIsRefusedAndNothingIsWritten()
    {
        using var host = new PortalHost(PortalHost.NewDataDir());
        var client = host.CreateClient();
        var tokens = host.Services.GetRequiredService<IngestTokens>();
        var a = StoredRun(host, "a");
        var b = StoredRun(host, "b");
        string tokenOfA = tokens.Issue(a.Id, IngestScope.Worker)!;
        tokens.Issue(b.Id, IngestScope.Worker);
        var batch = Batch(Metrics(1, 0, 1.5));

        var otherRun = await client.SendAsync(Post($"/api/ingest/runs/{b.Id}/events", batch, tokenOfA));
        var wrong = await client.SendAsync(Post($"/api/ingest/runs/{b.Id}/events", batch, new string('0', 32)));
        var missing = await client.SendAsync(Post($"/api/ingest/runs/{b.Id}/events", batch, null));
        var unknown = await client.SendAsync(Post("/api/ingest/runs/20200101-000000-nope/events", batch, tokenOfA));
        var claimOther = await client.SendAsync(Post($"/api/ingest/runs/{b.Id}/claim", new ClaimRequest { Pid = 1, Host = "x", StartedUtc = DateTime.UtcNow }, tokenOfA));
        var readOther = new HttpRequestMessage(HttpMethod.Get, $"/api/ingest/runs/{b.Id}") { Headers = { Authorization = new("Bearer", tokenOfA) } };

        Assert.Equal(HttpStatusCode.Forbidden, otherRun.StatusCode);
        Assert.Contains($"not valid for run {b.Id}", await otherRun.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Contains("Authorization: Bearer", await missing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, claimOther.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(readOther)).StatusCode);
        Assert.Empty(host.Store.Metrics(b.Id));
        Assert.Equal((0L, RunStatus.Cancelled), (host.Store.Get(b.Id)!.ReportedSequence, host.Store.Get(b.Id)!.Status));

        // The token is stored only as a hash, and never shown by the runs API.
        Assert.Equal(IngestTokens.Hash(tokenOfA), host.Store.Get(a.Id)!.ReportTokenHash);
        Assert.DoesNotContain(host.Store.Get(a.Id)!.ReportTokenHash!, await client.GetStringAsync($"/api/runs/{a.Id}"));
        // The right token is taken.
        var own = await client.SendAsync(Post($"/api/ingest/runs/{a.Id}/events", batch, tokenOfA));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(1, (await own.Content.ReadFromJsonAsync<RunEventAck>(RunEvent.Json))!.Sequence);
        Assert.Equal([0L], host.Store.Metrics(a.Id).Select(m => m.Step));
        // A new token for the run (its next worker) replaces the old one.
        tokens.Issue(a.Id, IngestScope.Worker);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(Post($"/api/ingest/runs/{a.Id}/events", batch, tokenOfA))).StatusCode);
    }

    [Fact]
    public async Task ABatchSentAgainIsAppliedOnceAndAMalformedOneIsRefusedWithWhatIsWrong()
    {
        using var host = new PortalHost(PortalHost.NewDataDir());
        var client = host.CreateClient();
        var run = StoredRun(host, "replay");
        string token = host.Services.GetRequiredService<IngestTokens>().Issue(run.Id, IngestScope.Worker)!;
        var running = new RunEvent { Seq = 1, Kind = RunEventKind.Running, AtUtc = DateTime.UtcNow, Message = "started", Device = "cpu", TotalSteps = 6 };
        var fresh = new RunEvent { Seq = 2, Kind = RunEventKind.Truncate, AtUtc = DateTime.UtcNow, Step = 0 };
        var first = Batch(running, fresh, Metrics(3, 1, 2.0), Metrics(4, 3, 1.0));

        for (int i = 0; i < 2; i++) // the worker did not get the answer and sends the batch again
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Post($"/api/ingest/runs/{run.Id}/events", first, token))).StatusCode);
        // Overlapping the last one: only seq 5 is new.
        var overlap = await client.SendAsync(Post($"/api/ingest/runs/{run.Id}/events", Batch(Metrics(4, 3, 1.0), Metrics(5, 5, double.NaN)), token));

        Assert.Equal(5, (await overlap.Content.ReadFromJsonAsync<RunEventAck>(RunEvent.Json))!.Sequence);
        var stored = host.Store.Get(run.Id)!;
        Assert.Equal([1L, 3L, 5L], host.Store.Metrics(run.Id).Select(m => m.Step)); // the replayed truncate did not wipe them
        Assert.True(double.IsNaN(host.Store.Metrics(run.Id)[2].Values["loss"]));
        Assert.Single(stored.History, h => h.Message == "started"); // Running applied once
        Assert.Equal((RunStatus.Running, 5L, 5L, 1.0), (stored.Status, stored.ReportedSequence, stored.Step, stored.LastLoss)); // the last row says 5 steps done

        var malformed = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/ingest/runs/{run.Id}/events")
        {
            Content = new StringContent("{\"events\": [{\"seq\": 6, \"kind\": \"Metrics\"}]}", System.Text.Encoding.UTF8, "application/json"),
            Headers = { Authorization = new("Bearer", token) },
        });
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("events[0] (seq 6, Metrics): a Metrics event needs step", await malformed.Content.ReadAsStringAsync());
        var notJson = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/ingest/runs/{run.Id}/events")
        {
            Content = new StringContent("{\"events\": [", System.Text.Encoding.UTF8, "application/json"),
            Headers = { Authorization = new("Bearer", token) },
        });
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Contains("malformed RunEventBatch", await notJson.Content.ReadAsStringAsync());
        Assert.Equal(5, host.Store.Get(run.Id)!.ReportedSequence);

        // An evaluation's token sends evaluations only.
        string evalToken = host.Services.GetRequiredService<IngestTokens>().Issue(run.Id, IngestScope.Evaluation)!;
        var refused = await client.SendAsync(Post($"/api/ingest/runs/{run.Id}/events", Batch(Metrics(0, 7, 1.0)), evalToken));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(3, host.Store.Metrics(run.Id).Count);
    }

    [Fact]
    public void ARecorderWhosePortalIsDownJournalsThenDeliversInOrderAndALaterWorkerContinuesTheSequence()
    {
        string data = PortalHost.NewDataDir();
        int port = PortalHost.FreePort();
        string token = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        RunRecord run;
        using (var store = new RunStore(data)) // stored before the portal exists, with the token a portal would have issued
            run = store.Create(new RunRecord { Name = "outage", Spec = Specs.Tiny(), Source = "cli", Status = RunStatus.Cancelled, ReportTokenHash = IngestTokens.Hash(token) });
        string url = $"http://127.0.0.1:{port}";
        var log = new StringWriter();
        var values = new Dictionary<string, double> { ["loss"] = 1 };

        using (var client = new Scott.Lab.Cli.Recording.PortalClient(url, token))
        using (var recorder = new Scott.Lab.Cli.Recording.PortalRecorder(client, run.Id, run.Directory, 0, TextWriter.Synchronized(log), maxBackoff: TimeSpan.FromMilliseconds(300)))
        {
            for (long step = 0; step < 10; step++) recorder.OnMetrics(step, values); // training does not wait
            Assert.False(recorder.Flush(TimeSpan.FromSeconds(1)), "delivered with nothing listening");

            using var host = PortalHost.Http(data, port); // the portal comes up on that URL
            Assert.True(recorder.Flush(TimeSpan.FromSeconds(30)), "not delivered once the portal answered:\n" + log);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), host.Store.Metrics(run.Id).Select(m => m.Step));
            Assert.Equal(10, host.Store.Get(run.Id)!.ReportedSequence);
        }
        Assert.Contains("is unreachable", log.ToString());
        Assert.Contains("answers again", log.ToString());

        // A later worker of the run (a resume, a requeued job) continues the sequence; one that believes less was
        // acknowledged than was (it died before the answer) sends the rest again, and nothing is counted twice.
        using var again = PortalHost.Http(data, port);
        foreach (long acknowledged in new long[] { 10, 4 })
        {
            using var client = new Scott.Lab.Cli.Recording.PortalClient(url, token);
            using var recorder = new Scott.Lab.Cli.Recording.PortalRecorder(client, run.Id, run.Directory, acknowledged, TextWriter.Null);
            recorder.OnMetrics(acknowledged == 10 ? 10 : 11, values);
            Assert.True(recorder.Flush(TimeSpan.FromSeconds(30)));
        }
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (long)i), again.Store.Metrics(run.Id).Select(m => m.Step));
        Assert.Equal(12, again.Store.Get(run.Id)!.ReportedSequence);
        var journal = ReportJournal.ReadAll(Path.Combine(run.Directory, ReportJournal.FileName)).Select(e => e.Seq).ToList();
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), journal);
    }

    [Theory]
    [InlineData("ScottLab:WorkerReporting", "nfs", "'nfs' is not one of 'http'")]
    [InlineData("ScottLab:PublicUrl", "lab-head:5080", "'lab-head:5080' is not an http(s) URL")]
    public void ABadReportingSettingStopsThePortalWithWhatIsWrong(string key, string value, string message)
    {
        using var host = new PortalHost(PortalHost.NewDataDir(), settings: new Dictionary<string, string?> { [key] = value });
        var error = Assert.ThrowsAny<Exception>(() => host.CreateClient());
        Assert.Contains(message, error.ToString());
        Assert.Contains(key, error.ToString());
    }

    /// <summary>Paths of <paramref name="pid"/>'s open files (Linux), or empty once it is gone.</summary>
    private static IEnumerable<string> OpenFiles(int pid)
    {
        string[] fds;
        try { fds = Directory.GetFiles($"/proc/{pid}/fd"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { yield break; }
        foreach (var fd in fds)
        {
            string? target = null;
            try { target = new FileInfo(fd).LinkTarget; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            if (target is not null) yield return target;
        }
    }

    [Fact]
    public async Task APortalLaunchedRunReportsOverHttpAndOnlyThePortalOpensTheStore()
    {
        using var host = PortalHost.Http();
        var client = host.CreateClient();
        try
        {
            var launched = await client.PostAsync("/api/runs", Specs.Json(Specs.Tiny(Longer)));
            Assert.Equal(HttpStatusCode.Created, launched.StatusCode);
            string id = JsonNode.Parse(await launched.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
            int pid = host.Sessions.ActiveWorkers[id];

            // While it trains, watch the worker's open files: LiteDB's shared mode opens the file for each operation,
            // so look often. A store-mode worker opens it for every metrics row.
            var opened = new List<string>();
            int scans = 0;
            var clock = Stopwatch.StartNew();
            while (WorkerIdentity.ProcessIsAlive(pid) && clock.Elapsed < TimeSpan.FromSeconds(240))
            {
                opened.AddRange(OpenFiles(pid).Where(f => f.EndsWith(RunStore.FileName, StringComparison.Ordinal)));
                scans++;
                await Task.Delay(5);
            }
            var run = await Specs.WaitFor(client, id, r => r.IsFinished, "Completed");

            Assert.True(run.Status == RunStatus.Completed, run.Error);
            Assert.True(scans > 20, $"only {scans} scans of the worker's files");
            Assert.Empty(opened);
            Assert.Equal(EveryRowOfLonger, host.Store.Metrics(id).Select(m => m.Step));
            string log = File.ReadAllText(Path.Combine(run.Directory, "worker.log"));
            Assert.Contains($"reporting to {host.Url}", log);
            var journal = ReportJournal.ReadAll(Path.Combine(run.Directory, ReportJournal.FileName)).ToList();
            Assert.Equal(journal.Count, journal.Select(e => e.Seq).Distinct().Count());
            Assert.Equal(journal[^1].Seq, host.Store.Get(id)!.ReportedSequence); // all of it acknowledged
            Assert.Contains(journal, e => e.Kind == RunEventKind.Finished);
        }
        finally
        {
            host.KillWorkers();
        }
    }

    [Fact]
    public async Task StoppingThePortalMidRunAndStartingItAgainLosesNothingTheWorkerReplaysItsJournal()
    {
        string data = PortalHost.NewDataDir();
        int port = PortalHost.FreePort();
        string id, directory;
        int pid;
        long seenByFirst;
        using (var first = PortalHost.Http(data, port))
        {
            var client = first.CreateClient();
            var launched = await client.PostAsync("/api/runs", Specs.Json(Specs.Tiny(Longer)));
            id = JsonNode.Parse(await launched.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
            var running = await Specs.WaitFor(client, id, r => r.Status == RunStatus.Running && r.Step >= 6 || r.IsFinished, "Running past step 6");
            Assert.Equal(RunStatus.Running, running.Status);
            (pid, directory, seenByFirst) = (running.WorkerPid!.Value, running.Directory, first.Store.Get(id)!.ReportedSequence);
        }

        // The portal is down: the worker trains on and journals what it cannot send.
        string journal = Path.Combine(directory, ReportJournal.FileName);
        var clock = Stopwatch.StartNew();
        while (ReportJournal.ReadAll(journal).Count(e => e.Seq > seenByFirst && e.Kind == RunEventKind.Metrics) < 5 && WorkerIdentity.ProcessIsAlive(pid))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), "the worker journaled nothing while the portal was down");
            await Task.Delay(100);
        }
        Assert.True(WorkerIdentity.ProcessIsAlive(pid), "the worker finished before the portal came back; use more steps");

        using var second = PortalHost.Http(data, port);
        var again = second.CreateClient();
        try
        {
            var done = await Specs.WaitFor(again, id, r => r.IsFinished, "Completed after the portal came back");
            Assert.True(done.Status == RunStatus.Completed, done.Error);
            Assert.Equal(80, done.Step);
            Assert.Equal(EveryRowOfLonger, second.Store.Metrics(id).Select(m => m.Step)); // no gap, no duplicate
            Assert.Contains("reporting: the portal", File.ReadAllText(Path.Combine(directory, "worker.log"))); // it said so
        }
        finally
        {
            second.KillWorkers();
        }
    }

    [Fact]
    public async Task AWorkerThatEndsWhileThePortalIsDownLeavesAJournalTheNextPortalReplays()
    {
        string data = PortalHost.NewDataDir();
        int port = PortalHost.FreePort();
        var shortFlush = new Dictionary<string, string?> { ["ScottLab:WorkerFlushSeconds"] = "1" };
        string id, directory;
        int pid;
        using (var first = PortalHost.Http(data, port, shortFlush))
        {
            var client = first.CreateClient();
            var launched = await client.PostAsync("/api/runs", Specs.Json(Specs.Tiny(Longer)));
            id = JsonNode.Parse(await launched.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
            var running = await Specs.WaitFor(client, id, r => r.Status == RunStatus.Running && r.Step >= 6 || r.IsFinished, "Running past step 6");
            Assert.Equal(RunStatus.Running, running.Status);
            (pid, directory) = (running.WorkerPid!.Value, running.Directory);
        }

        // Nothing listens until the worker has finished and given up flushing (1 s).
        var clock = Stopwatch.StartNew();
        while (WorkerIdentity.ProcessIsAlive(pid))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(240), "the worker did not finish");
            await Task.Delay(200);
        }
        Assert.Contains("did not take every event", File.ReadAllText(Path.Combine(directory, "worker.log")));

        using var second = PortalHost.Http(data, port);
        var again = second.CreateClient();
        var done = await Specs.WaitFor(again, id, r => r.IsFinished, "Completed from the journal", seconds: 30);
        Assert.True(done.Status == RunStatus.Completed, $"{done.Status}: {done.Error}");
        Assert.Equal(80, done.Step);
        Assert.Equal(EveryRowOfLonger, second.Store.Metrics(id).Select(m => m.Step));
        Assert.Contains(done.History, h => h.Status == RunStatus.Completed && h.Message?.Contains("80 steps") == true);
    }

    [Fact]
    public async Task TrainWithPortalRecordsACliRunInThePortalAndNeverOpensALocalStore()
    {
        using var host = PortalHost.Http();
        string local = PortalHost.NewDataDir(), runDir = Path.Combine(local, "my-run");
        string[] sets = ["trainer.steps=6", "trainer.batch_size=16", "trainer.log_every=2", "trainer.checkpoint_every=3"];
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int exit = Scott.Lab.Cli.Commands.CliApp.Run(["train", Path.Combine(Specs.RepoRoot, "configs", "ssl", "tiny.yaml"), "--run-dir", runDir,
            "--data-dir", local, "--portal", host.Url!, .. sets.SelectMany(s => new[] { "--set", s })], stdout, stderr);

        Assert.True(exit == 0, stderr.ToString());
        var run = Assert.Single(host.Store.List());
        Assert.Equal(("cli", runDir, RunStatus.Completed, 6L), (run.Source, run.Directory, run.Status, run.Step));
        Assert.Equal([2L, 4L, 6L], host.Store.Metrics(run.Id).Select(m => m.Step));
        Assert.Equal(3, run.Plugins.Count);
        Assert.False(File.Exists(Path.Combine(local, RunStore.FileName)), "train --portal opened the local store");

        // Bad input: a portal URL that is not one.
        var bad = new StringWriter();
        Assert.Equal(2, Scott.Lab.Cli.Commands.CliApp.Run(["train", Path.Combine(Specs.RepoRoot, "configs", "ssl", "tiny.yaml"), "--portal", "lab-head"], new StringWriter(), bad));
        Assert.Contains("--portal: 'lab-head' is not an http(s) URL", bad.ToString());
    }
}
