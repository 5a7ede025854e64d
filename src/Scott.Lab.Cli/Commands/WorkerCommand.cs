using Scott.Lab.Cli.Hosting;
using Scott.Lab.Cli.Recording;
using Scott.Lab.Cli.Terminal;
using System.CommandLine;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Training;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Reporting;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab worker --run ID [--data-dir DIR]</c>: trains one run of the run store. The portal starts one per
/// training session (stderr goes to RUN/worker.log); it can also be run by hand to continue a stored run.
/// Exit codes: 0 done or cancelled, 1 failure, 2 config error; the run's status in the store says the same.
/// 3: the run could not be claimed (another worker trains it, or the portal queued it again for another worker): this
/// worker exits without training and without changing the run.
/// </summary>
public static class WorkerCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var runId = new Option<string>("--run") { Description = "Id of the run in the run store (DATA/scott-lab.db).", Required = true };
        var claim = new Option<string?>("--claim")
        {
            Description = "The claim token the portal gave the run when it started this worker; the worker trains only while the run still has it.",
        };
        var portal = new Option<string?>("--portal")
        {
            Description = $"Report to this portal over HTTP (its ingest API) instead of opening the run store; the run's token comes from ${PortalClient.TokenVariable}.",
        };
        var flush = new Option<int>("--flush-seconds")
        {
            Description = "With --portal: how long the worker waits for the portal, at the start (to read and claim its run) and at the end (to take its last events; they stay in the run folder's journal otherwise).",
            DefaultValueFactory = _ => 60,
        };
        var command = new Command("worker", "Train a run stored in the run store (what the portal starts for each session).") { runId, claim, portal, flush };
        command.SetAction(parsed => parsed.GetValue(portal) is { } url
            ? ExecuteWithPortal(parsed, parsed.GetValue(runId)!, parsed.GetValue(claim), url, TimeSpan.FromSeconds(Math.Max(0, parsed.GetValue(flush))), stdout, stderr)
            : Execute(parsed, parsed.GetValue(runId)!, parsed.GetValue(claim), stdout, stderr));
        return command;
    }

    /// <summary>Exit code of a worker that could not claim its run.</summary>
    public const int NotClaimed = CliApp.ExitNotClaimed;

    private static int Execute(ParseResult parsed, string id, string? claimToken, TextWriter stdout, TextWriter stderr)
    {
        var settings = CliApp.Settings(parsed);
        using var store = new RunStore(settings.DataDir);
        var record = store.Get(id) ?? throw new ConfigException(
            $"--run: no run '{id}' in {store.DatabaseFile}. Launch it from the portal (or POST /api/runs), or pass the --data-dir it lives in.");
        if (record.Status == RunStatus.Completed)
        {
            stderr.WriteLine($"run {id} is already Completed; nothing to do.");
            return 0;
        }

        // A stop request (the portal's SIGTERM, Ctrl+C) finishes the current step and saves a checkpoint.
        using var stop = new StopSignal(stderr);

        // The claim is atomic: of two workers started for one run (a stale one from before a portal restart, two by
        // hand), exactly one trains it; the other leaves the run as it is.
        // In a Slurm job, a later attempt of the run's job (after a requeue, preemption or node failure) may claim it again.
        var attempt = JobAttempt.FromEnvironment();
        var (claimed, refusal) = RunClaim.TryClaim(store, id, claimToken, WorkerIdentity.Current(), attempt);
        if (claimed is null)
        {
            stderr.WriteLine($"worker {Environment.ProcessId}: not training: {refusal}.");
            return NotClaimed;
        }
        record = claimed;

        using var recorder = StoreRecorder.For(store, id, stderr);
        store.MigrateLegacySpecs(yaml => ConfigLoader.ParseTree(yaml, $"run {id}'s stored spec"), RetiredKeys.Strip);
        var stored = store.Get(id);
        return Train(parsed, id, stored?.Spec, string.IsNullOrEmpty(record.Directory) ? Path.Combine(store.RunsDir, id) : record.Directory, recorder, stop, stdout, stderr);
    }

    /// <summary>
    /// The worker of a portal that takes reports over HTTP: reads its run and claims it through the ingest API and
    /// never opens the LiteDB file (the portal is the only process that does). The token is the run's, from
    /// $SCOTT_LAB_TOKEN.
    /// </summary>
    private static int ExecuteWithPortal(ParseResult parsed, string id, string? claimToken, string url, TimeSpan flush, TextWriter stdout, TextWriter stderr)
    {
        string token = Environment.GetEnvironmentVariable(PortalClient.TokenVariable) ?? "";
        if (token.Length == 0)
            throw new ConfigException($"--portal: no token in ${PortalClient.TokenVariable}. The portal sets it when it starts a worker; by hand, use the token the portal issued for run {id}.");
        using var client = new PortalClient(url, token);
        // A portal that is restarting (or a requeued job that starts before it is back) gets the same time as at the end.
        string neededFor = $"the worker waited {flush.TotalSeconds:F0} s for it to read and claim run {id}. Check ScottLab:PublicUrl and that this machine can reach it";
        var record = client.Ask(() => Patiently(client, flush, stderr, () => client.GetRun(id)), neededFor)
                     ?? throw new ConfigException($"--run: the portal {client.Url} has no run '{id}'.");
        if (record.Status == RunStatus.Completed)
        {
            stderr.WriteLine($"run {id} is already Completed; nothing to do.");
            return 0;
        }
        using var stop = new StopSignal(stderr);
        var (claimed, refusal) = client.Ask(() => Patiently(client, flush, stderr, () => client.Claim(id, claimToken, WorkerIdentity.Current())), neededFor);
        if (claimed is null)
        {
            stderr.WriteLine($"worker {Environment.ProcessId}: not training: {refusal}.");
            return NotClaimed;
        }
        string directory = claimed.Directory;
        stderr.WriteLine($"worker {Environment.ProcessId}: reporting to {client.Url} (journal: {Path.Combine(directory, PortalRecorder.JournalFile)}).");
        // Training never waits for the portal; at the end (disposal) the worker gives it a bounded time to catch up.
        using var recorder = new PortalRecorder(client, id, directory, claimed.ReportedSequence, stderr) { FlushOnDispose = flush };
        return Train(parsed, id, claimed.Spec, directory, recorder, stop, stdout, stderr);
    }

    /// <summary>Calls the portal, trying again with a growing pause while it can't be reached, for up to <paramref name="wait"/>.</summary>
    private static T Patiently<T>(PortalClient client, TimeSpan wait, TextWriter stderr, Func<T> call)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(250);
        for (bool said = false; ; said = true)
        {
            try { return call(); }
            catch (Exception e) when ((e is HttpRequestException or TaskCanceledException) && clock.Elapsed + pause < wait)
            {
                if (!said) stderr.WriteLine($"worker {Environment.ProcessId}: the portal {client.Url} does not answer ({e.Message}); trying again for up to {wait.TotalSeconds:F0} s.");
                Thread.Sleep(pause);
                pause = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, pause.Ticks * 2));
            }
        }
    }

    private static int Train(ParseResult parsed, string id, System.Text.Json.Nodes.JsonObject? storedSpec, string folder, IRunRecorder recorder, StopSignal stop, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            var spec = storedSpec ?? throw new ConfigException($"run {id} has no spec; launch it again from the portal.");
            RetiredKeys.Strip(spec); // a run stored before a key was removed
            var directory = new RunDirectory(folder);
            // The store's spec is the run's; config.yaml is its readable copy in the run folder.
            using var run = CliApp.BuildRun(parsed, spec);
            directory.WriteConfig(run.Resolved);

            // Continue from the latest checkpoint whenever there is one (a resume, or a worker that died); else start afresh.
            string? latest = new Checkpoints(directory.Path).Latest();
            bool resume = latest is not null;
            if (!resume)
            {
                directory.TruncateMetricsFrom(0);
                recorder.ClearMetrics();
            }
            if (!resume || !File.Exists(directory.RunFile)) directory.WriteJson(directory.RunFile, RunInfo.Describe(run));
            long? resumedFrom = resume ? StoreRecorder.CheckpointStep(latest) : null;
            recorder.MarkRunning(run, resumedFrom);
            stderr.WriteLine($"worker {Environment.ProcessId}: run {id} ({directory.Path}): {run.Spec.Tokenizer.Id} + {run.Spec.Objective.Id} on {run.Spec.Dataset.Id}, " +
                             $"{run.TotalSteps} steps on {run.Device.type.ToString().ToLowerInvariant()}" + (resume ? $", resuming from step {resumedFrom}" : ""));

            var line = new ProgressLine(stderr);
            TrainingSummary summary;
            // The worker samples its own CPU, memory and GPU use for the run page (wherever it runs: a Slurm node too).
            using (new ResourceSampler("worker", run.Device.type == TorchSharp.DeviceType.CUDA, recorder.Record))
                summary = new TrainingDriver(run, directory, recorder).Run(resume, null, line.Show, stop.Token);
            line.Finish();
            recorder.Finish(summary);
            // A stop inside a Slurm job that nobody asked for (a requeue, a preemption) leaves the run Running for the
            // job's next attempt: the store's applier decides that (RunStore.ApplyEvents), from the job id in the event.
            stdout.WriteLine($"{(summary.Cancelled ? "stopped" : "done")}: {summary.Steps}/{summary.TotalSteps} steps, loss {summary.FirstLoss:F4} -> {summary.LastLoss:F4}, {summary.WallSeconds:F1} s.");
            return 0;
        }
        catch (Exception e)
        {
            recorder.Fail(e);
            throw; // CliApp prints it and picks the exit code (2 for config errors)
        }
    }
}
