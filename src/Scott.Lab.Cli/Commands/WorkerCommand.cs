using Scott.Lab.Cli.Hosting;
using Scott.Lab.Cli.Recording;
using Scott.Lab.Cli.Terminal;
using System.CommandLine;
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

        var recorder = StoreRecorder.For(store, id, stderr);
        try
        {
            store.MigrateLegacySpecs(yaml => ConfigLoader.ParseTree(yaml, $"run {id}'s stored spec"));
            var spec = store.Get(id)?.Spec ?? throw new ConfigException($"run {id} has no spec; launch it again from the portal.");
            var directory = new RunDirectory(string.IsNullOrEmpty(record.Directory) ? Path.Combine(store.RunsDir, id) : record.Directory);
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

            var line = new ProgressLine(stderr, run.Spec.Trainer.LogEvery);
            var summary = new TrainingDriver(run, directory, recorder).Run(resume, null, line.Show, stop.Token);
            line.Finish();
            if (summary.Cancelled && attempt is not null && store.Get(id) is { IsSlurm: true, StopRequested: false, JobId: var job } && job == attempt.JobId)
            {
                // Nobody cancelled it: Slurm stopped this attempt (requeue, preemption, a node going down). The run stays
                // Running for the job's next attempt, which resumes from the checkpoint just saved.
                store.Update(id, r => r.History.Add(new StatusChange
                {
                    Status = RunStatus.Running, AtUtc = DateTime.UtcNow,
                    Message = $"{attempt} was stopped by Slurm at step {summary.Steps} with a checkpoint; the job's next attempt resumes it",
                }));
                stdout.WriteLine($"stopped by Slurm: {summary.Steps}/{summary.TotalSteps} steps, checkpoint saved; the next attempt of job {attempt.JobId} resumes.");
                return 0;
            }
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
