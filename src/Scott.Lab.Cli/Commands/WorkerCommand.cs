using Scott.Lab.Cli.Recording;
using Scott.Lab.Cli.Terminal;
using System.CommandLine;
using System.Runtime.InteropServices;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Training;
using Scott.Lab.Runs;

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
        var command = new Command("worker", "Train a run stored in the run store (what the portal starts for each session).") { runId, claim };
        command.SetAction(parsed => Execute(parsed, parsed.GetValue(runId)!, parsed.GetValue(claim), stdout, stderr));
        return command;
    }

    /// <summary>Exit code of a worker that could not claim its run.</summary>
    public const int NotClaimed = 3;

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

        // A stop request (the portal's SIGTERM, Ctrl+C) finishes the current step and saves a checkpoint. Registered
        // before the run is built, so that a cancel during start-up is not lost.
        using var cancel = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            if (!cancel.IsCancellationRequested) stderr.WriteLine("stopping after this step (a checkpoint will be saved)...");
            cancel.Cancel();
        }
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        // The claim is atomic: of two workers started for one run (a stale one from before a portal restart, two by
        // hand), exactly one trains it; the other leaves the run as it is.
        var (claimed, refusal) = RunClaim.TryClaim(store, id, claimToken, WorkerIdentity.Current());
        if (claimed is null)
        {
            stderr.WriteLine($"worker {Environment.ProcessId}: not training: {refusal}.");
            return NotClaimed;
        }
        record = claimed;

        var recorder = StoreRecorder.For(store, id, stderr);
        try
        {
            if (string.IsNullOrWhiteSpace(record.SpecYaml))
                throw new ConfigException($"run {id} has no spec (SpecYaml is empty); launch it again from the portal.");
            var directory = new RunDirectory(string.IsNullOrEmpty(record.Directory) ? Path.Combine(store.RunsDir, id) : record.Directory);
            File.WriteAllText(directory.ConfigFile, record.SpecYaml);
            using var run = CliApp.BuildRun(parsed, directory.ConfigFile, []);

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
            stderr.WriteLine($"worker {Environment.ProcessId}: run {id} ({directory.Path}): {run.Config.Tokenizer.Id} + {run.Config.Objective.Id} on {run.Config.Dataset.Id}, " +
                             $"{run.TotalSteps} steps on {run.Device.type.ToString().ToLowerInvariant()}" + (resume ? $", resuming from step {resumedFrom}" : ""));

            var line = new ProgressLine(stderr, run.Config.Trainer.LogEvery);
            var summary = new TrainingDriver(run, directory, recorder).Run(resume, null, line.Show, cancel.Token);
            line.Finish();
            recorder.Finish(summary);
            stdout.WriteLine($"{(summary.Cancelled ? "cancelled" : "done")}: {summary.Steps}/{summary.TotalSteps} steps, loss {summary.FirstLoss:F4} -> {summary.LastLoss:F4}, {summary.WallSeconds:F1} s.");
            return 0;
        }
        catch (Exception e)
        {
            recorder.Fail(e);
            throw; // CliApp prints it and picks the exit code (2 for config errors)
        }
    }
}
