using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Runs;
using Scott.Lab.Web.Hosting;
using Scott.Lab.Web.Tests.Integration;

namespace Scott.Lab.Web.Tests.Sessions;

/// <summary>
/// The portal with <c>ScottLab:Executor=slurm</c> against a real slurmctld (deploy/slurm/start.sh): the tiny preset,
/// cut down to a few steps, trains as a batch job. One job at a time: the tests share a small machine.
/// </summary>
[Collection(nameof(SlurmExecutorTests))]
public sealed class SlurmExecutorTests : IDisposable
{
    private readonly List<string> _dataDirs = [];

    /// <summary>Each run folder holds a copy of its plugins (tens of MB): removed once the test's portals are gone.</summary>
    public void Dispose()
    {
        foreach (var dir in _dataDirs)
            try { Directory.Delete(dir, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private string NewDataDir()
    {
        string dir = PortalHost.NewDataDir();
        _dataDirs.Add(dir);
        return dir;
    }

    /// <summary>Rows at steps 1, 3, 5; checkpoints after steps 3 and 6.</summary>
    private static readonly string[] Short = ["trainer.steps=6", "trainer.batch_size=16", "trainer.log_every=2", "trainer.checkpoint_every=3"];

    /// <summary>Long enough to act on while it trains.</summary>
    private static readonly string[] Longer = ["trainer.steps=80", "trainer.batch_size=8", "trainer.log_every=2", "trainer.checkpoint_every=4"];

    /// <summary>The rows of <see cref="Longer"/>: every logged step once, no gap.</summary>
    private static readonly long[] EveryRowOfLonger = Enumerable.Range(1, 40).Select(i => 2L * i).ToArray(); // rows are numbered by steps done

    /// <summary>Launches <see cref="Longer"/> and waits until its job trains past <paramref name="step"/> (or ended).</summary>
    private static async Task<(RunRecord Run, string JobId)> TrainingJob(HttpClient client, int step = 2)
    {
        var queued = await Launch(client, Specs.Tiny(Longer));
        var run = await WaitFor(client, queued.Id, r => r.Status == RunStatus.Running && r.Step >= step || r.IsFinished, $"Running, step {step}");
        return (run, queued.JobId!);
    }

    // On a real loopback port: the jobs' workers report to the portal over HTTP and never open the store.
    private PortalHost SlurmPortal(params (string Key, string Value)[] more) => PortalHost.Http(NewDataDir(), settings: new Dictionary<string, string?>
    {
        ["ScottLab:Executor"] = "slurm",
        ["ScottLab:Slurm:PollSeconds"] = "0.5",
        ["ScottLab:Slurm:CancelGraceSeconds"] = "60",
    }.Concat(more.Select(m => new KeyValuePair<string, string?>(m.Key, m.Value))).ToDictionary());

    private static async Task<RunRecord> Launch(HttpClient client, JsonObject spec)
    {
        var response = await client.PostAsync("/api/runs", Specs.Json(spec));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{response.StatusCode}: {body}");
        return System.Text.Json.JsonSerializer.Deserialize<RunRecord>(body, ApiResults.Json)!;
    }

    /// <summary>Fails with the job's log (the worker's output) as well as the run.</summary>
    private static async Task<RunRecord> WaitFor(HttpClient client, string id, Func<RunRecord, bool> done, string what, int seconds = 300)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var run = await Specs.GetRun(client, id);
            if (done(run)) return run;
            if (clock.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                string logs = string.Join("\n", Directory.Exists(run.Directory)
                    ? Directory.EnumerateFiles(run.Directory, "slurm-*.log").Select(f => $"{Path.GetFileName(f)}:\n{Features.Sessions.SessionManager.LogTail(f, 30)}") : []);
                Assert.Fail($"run {id} did not reach '{what}' in {seconds} s: status {run.Status}, step {run.Step}/{run.TotalSteps}, " +
                            $"job {run.JobId} {run.JobState} ({run.JobReason}), error {run.Error}\n{logs}");
            }
            await Task.Delay(250);
        }
    }

    [SlurmFact]
    public async Task TheTinyPresetTrainsAsASlurmJobWithItsMetricsInTheStoreAndItsJobRecorded()
    {
        using var host = SlurmPortal();
        var client = host.CreateClient();
        string? jobId = null;
        try
        {
            var queued = await Launch(client, Specs.Tiny([.. Short, "name=slurm-tiny"]));
            jobId = queued.JobId;
            Assert.Equal("slurm", queued.Executor);
            Assert.NotNull(jobId); // submitted at launch

            var run = await WaitFor(client, queued.Id, r => r.IsFinished, "Completed");
            Assert.True(run.Status == RunStatus.Completed, $"{run.Status}: {run.Error}");
            Assert.Equal((6L, 6L), (run.Step, run.TotalSteps));
            Assert.Equal(jobId, run.JobId);
            Assert.Equal(System.Net.Dns.GetHostName().Split('.')[0], run.JobNode);
            Assert.Contains(run.History, h => h.Message?.Contains($"Slurm job {jobId} (attempt 0)") == true); // its worker claimed it
            var steps = host.Store.Metrics(run.Id).Select(m => m.Step).ToList();
            Assert.Equal([2L, 4L, 6L], steps); // numbered by steps done
            Assert.Contains(host.Store.Artifacts(run.Id), a => a.Kind == "checkpoint" && a.Step == 6);

            // The script is kept; the job loaded the plugin copies in the run folder, which are the files it records.
            string script = File.ReadAllText(Path.Combine(run.Directory, "slurm-job.sh"));
            Assert.Contains("#SBATCH --requeue\n", script);
            Assert.Contains($"--run {run.Id}", script);
            var copied = File.ReadAllLines(Path.Combine(run.Directory, "plugins", "SHA256SUMS")).Select(l => l.Split("  ")[0]).Order().ToList();
            Assert.Equal(run.Plugins.Select(p => p.Sha256).Distinct().Order().ToList(), copied);
            string jobLog = File.ReadAllText(Path.Combine(run.Directory, $"slurm-{jobId}.log"));
            Assert.Contains("step 6/6", jobLog);
            // The job's worker reported over HTTP (it never opens the store: IngestTests checks that on a worker's files).
            Assert.Contains($"reporting to {host.Url}", jobLog);
            Assert.DoesNotContain("SCOTT_LAB_TOKEN", script); // the token travels in the job's environment, not in the script
            // The job ends COMPLETED; the page shows it.
            var final = await WaitFor(client, run.Id, r => r.JobState == "COMPLETED", "job COMPLETED", seconds: 30);
            Assert.Null(final.JobReason);
        }
        finally
        {
            Slurm.Cancel(jobId);
        }
    }

    [SlurmFact]
    public async Task CancelStopsTheJobWithACheckpointAndTheRunIsCancelled()
    {
        using var host = SlurmPortal();
        var client = host.CreateClient();
        string? jobId = null;
        try
        {
            (var queued, jobId) = await TrainingJob(client);

            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/runs/{queued.Id}/cancel", null)).StatusCode);
            var cancelled = await WaitFor(client, queued.Id, r => r.IsFinished, "Cancelled");
            Assert.True(cancelled.Status == RunStatus.Cancelled, $"{cancelled.Status}: {cancelled.Error}");
            Assert.True(cancelled.Step < 80, $"it ran to the end ({cancelled.Step}) before the cancel");
            Assert.Contains(host.Store.Artifacts(queued.Id), a => a.Kind == "checkpoint" && a.Step == cancelled.Step); // SIGTERM, not a kill
            await WaitFor(client, queued.Id, r => r.JobState is "COMPLETED" or "CANCELLED", "the job ended", seconds: 60);
        }
        finally
        {
            Slurm.Cancel(jobId);
        }
    }

    [SlurmFact]
    public async Task ARequeuedJobResumesFromItsCheckpointAndCompletesWithEveryMetricStepOnce()
    {
        using var host = SlurmPortal();
        var client = host.CreateClient();
        string? jobId = null;
        try
        {
            (var running, jobId) = await TrainingJob(client, step: 10); // past a checkpoint
            Assert.True(running.Status == RunStatus.Running, $"{running.Status}: {running.Error}");

            // What a node failure or preemption does to a --requeue job: Slurm stops this attempt and queues the job again.
            var (code, _, stderr) = Slurm.Run("scontrol", "requeue", jobId);
            Assert.True(code == 0, stderr);
            // Slurm holds a requeued job back for about two minutes (its begin time); the test lets it start at once.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (Slurm.Job(jobId).GetValueOrDefault("JobState") != "PENDING" && clock.Elapsed < TimeSpan.FromSeconds(90)) await Task.Delay(250);
            Slurm.Run("scontrol", "update", $"JobId={jobId}", "StartTime=now");

            var run = await WaitFor(client, running.Id, r => r.IsFinished, "Completed after the requeue");
            var steps = host.Store.Metrics(run.Id).Select(m => m.Step).ToList();
            // On failure: the whole story (history, job, steps, the job's log).
            string story = $"{run.Status}: {run.Error}\njob {run.JobId} {run.JobState} restarts {run.JobRestarts}\nhistory:\n" +
                           string.Join("\n", run.History.Select(h => $"  {h.AtUtc:HH:mm:ss.fff} {h.Status} {h.Message}")) +
                           $"\nsteps: {string.Join(",", steps)}\nslurm-{jobId}.log:\n" +
                           Features.Sessions.SessionManager.LogTail(Path.Combine(run.Directory, $"slurm-{jobId}.log"), 40);
            Assert.True(run.Status == RunStatus.Completed, story);
            Assert.True(run.Step == 80, story);
            Assert.True(run.JobId == jobId, story);
            Assert.True(run.JobRestarts >= 1, story);
            Assert.True(run.History.Any(h => h.Message?.Contains($"Slurm job {jobId} (attempt 1)") == true), story);
            Assert.True(run.History.Any(h => h.Message?.Contains("resumed from step") == true), story);
            Assert.False(run.History.Any(h => h.Status is RunStatus.Cancelled or RunStatus.Interrupted or RunStatus.Failed), story);
            // Every logged step once: no gap, no duplicate. The stopped attempt also logged the step it stopped at (the row
            // its checkpoint carries), so at most one row lies between the log_every rows.
            Assert.True(steps.SequenceEqual(steps.Distinct().Order()), story);
            Assert.True(EveryRowOfLonger.All(steps.Contains), story);
            Assert.True(steps.Except(EveryRowOfLonger).Count() <= 1, story);
        }
        finally
        {
            Slurm.Cancel(jobId);
        }
    }

    [SlurmFact]
    public async Task APortalRestartWhileTheJobTrainsLosesNothing()
    {
        string data = NewDataDir();
        var settings = new Dictionary<string, string?> { ["ScottLab:Executor"] = "slurm", ["ScottLab:Slurm:PollSeconds"] = "0.5" };
        string? jobId = null;
        try
        {
            string id;
            int port = PortalHost.FreePort(); // the second portal comes back at the same URL, where the job reports
            using (var first = PortalHost.Http(data, port, settings))
            {
                var client = first.CreateClient();
                (var training, jobId) = await TrainingJob(client);
                id = training.Id;
            } // the portal stops; the job goes on

            using var second = PortalHost.Http(data, port, settings);
            var again = second.CreateClient();
            var run = await WaitFor(again, id, r => r.IsFinished, "Completed under the second portal");
            Assert.True(run.Status == RunStatus.Completed, $"{run.Status}: {run.Error}");
            Assert.Equal(jobId, run.JobId);
            Assert.Equal(0, run.JobRestarts); // the same attempt trained it throughout
            Assert.Equal(EveryRowOfLonger, second.Store.Metrics(id).Select(m => m.Step));
            await WaitFor(again, id, r => r.JobState == "COMPLETED", "job COMPLETED", seconds: 30); // the second portal polls it
        }
        finally
        {
            Slurm.Cancel(jobId);
        }
    }

    [SlurmFact]
    public async Task AJobCancelledBehindThePortalsBackLeavesTheRunInterrupted()
    {
        using var host = SlurmPortal();
        var client = host.CreateClient();
        string? jobId = null;
        try
        {
            (var queued, jobId) = await TrainingJob(client);

            var (code, _, stderr) = Slurm.Run("scancel", jobId);
            Assert.True(code == 0, stderr);

            var run = await WaitFor(client, queued.Id, r => r.IsFinished, "Interrupted");
            Assert.True(run.Status == RunStatus.Interrupted, $"{run.Status}: {run.Error}");
            Assert.Contains($"Slurm job {jobId} ended CANCELLED", run.Error);
            Assert.Contains("Resume it", run.Error);
            Assert.True(run.CanResume);
        }
        finally
        {
            Slurm.Cancel(jobId);
        }
    }
}

/// <summary>Launch requests that name an executor: refused clearly when they can't be met. No cluster needed.</summary>
public sealed class ExecutorLaunchTests : IDisposable
{
    private readonly string _dataDir = PortalHost.NewDataDir();

    public void Dispose()
    {
        try { Directory.Delete(_dataDir, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task AMissingSbatchFailsTheRunWithAnErrorNamingTheCommand()
    {
        using var host = new PortalHost(_dataDir, settings: new Dictionary<string, string?>
        {
            ["ScottLab:Executor"] = "slurm",
            ["ScottLab:Slurm:Sbatch"] = "/nonexistent/slurm/bin/sbatch",
        });
        var client = host.CreateClient();
        var response = await client.PostAsync("/api/runs", Specs.Json(Specs.Tiny("trainer.steps=2")));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        string error = body["error"]!.GetValue<string>();
        Assert.Contains("/nonexistent/slurm/bin/sbatch", error);
        Assert.Contains("ScottLab:Slurm:Sbatch", error);
        var run = host.Store.Get(body["run"]!["id"]!.GetValue<string>())!;
        Assert.Equal(RunStatus.Failed, run.Status); // not left Queued forever
        Assert.Contains("/nonexistent/slurm/bin/sbatch", run.Error);
    }

    [Fact]
    public async Task AnUnknownExecutorOrSlurmSettingsForALocalRunAreRefusedWith400()
    {
        using var host = new PortalHost(_dataDir);
        var client = host.CreateClient();

        var spec = Specs.Tiny("trainer.steps=2");
        spec["executor"] = "kubernetes";
        var response = await client.PostAsync("/api/runs", Specs.Json(spec));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Contains("'kubernetes' is not an executor; use one of: local, slurm.", body);

        spec = Specs.Tiny("trainer.steps=2");
        spec["slurm"] = new JsonObject { ["gpus"] = 1 };
        response = await client.PostAsync("/api/runs", Specs.Json(spec));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("slurm executor only", await response.Content.ReadAsStringAsync());

        spec = Specs.Tiny("trainer.steps=2");
        spec["executor"] = "slurm";
        spec["slurm"] = new JsonObject { ["partitions"] = "gpu" };
        response = await client.PostAsync("/api/runs", Specs.Json(spec));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("slurm.partitions", await response.Content.ReadAsStringAsync());
        Assert.Empty(host.Store.List()); // nothing was stored
    }
}
