using Scott.Lab.Cli.Hosting;
using Scott.Lab.Cli.Recording;
using Scott.Lab.Cli.Terminal;
using System.CommandLine;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Training;
using Scott.Lab.Runs.Reporting;

namespace Scott.Lab.Cli.Commands;

/// <summary><c>scott-lab train config.yaml [--set k=v]... [--run-dir DIR] [--device D] [--max-steps N] [--resume]</c></summary>
public static class TrainCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var config = new Argument<string?>("config") { Description = "Run config (YAML), e.g. configs/ssl/tiny.yaml. Not needed with --resume.", Arity = ArgumentArity.ZeroOrOne };
        var set = new Option<string[]>("--set") { Description = "Override a config key: --set trainer.batch_size=128 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var runDir = new Option<string?>("--run-dir") { Description = "Run directory (default: <data dir>/runs/<name>-<time>)." };
        var device = new Option<string?>("--device") { Description = "auto | cpu | cuda (overrides trainer.device)." };
        var maxSteps = new Option<long?>("--max-steps") { Description = "Stop after this many steps in total; the schedule still spans the whole run." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --run-dir from its latest checkpoint, with its saved config." };
        var portal = new Option<string?>("--portal") { Description = "Record the run in this portal (over HTTP) instead of the local run store, e.g. http://lab-head:5080." };
        var token = new Option<string?>("--token") { Description = $"With --portal: the portal's admin key, where it needs one (default: ${PortalClient.TokenVariable})." };
        var command = new Command("train", "Pre-train an encoder.") { config, set, runDir, device, maxSteps, resume, portal, token };
        command.SetAction(parsed =>
        {
            bool resuming = parsed.GetValue(resume);
            string? dir = parsed.GetValue(runDir);
            if (resuming && dir is null) throw new ConfigException("--resume needs --run-dir DIR: the run to continue.");
            var overrides = (parsed.GetValue(set) ?? []).ToList();
            if (parsed.GetValue(device) is { } d) overrides.Add($"trainer.device={d}");

            string? given = parsed.GetValue(config);
            if (!resuming && given is null) throw new ConfigException("train: give a config file, e.g. scott-lab train configs/ssl/tiny.yaml");
            if (resuming && !Directory.Exists(dir)) throw new ConfigException($"--resume: {Path.GetFullPath(dir!)} not found; is it a run directory?");
            string configPath = resuming ? Path.Combine(dir!, "config.yaml") : CliApp.FindConfig(given!);
            long? max = parsed.GetValue(maxSteps);
            if (max is <= 0) throw new ConfigException($"--max-steps: must be positive, got {max}");

            // Ctrl+C and SIGTERM (what a portal or scheduler sends) stop after the current step, with a checkpoint.
            using var stop = new StopSignal(stderr);
            // A resumed run uses the spec it saved (the store's, else its config.yaml), so nothing can drift between the two halves.
            using var run = resuming ? CliApp.BuildRun(parsed, CliApp.SpecOf(parsed, dir!, overrides)) : CliApp.BuildRun(parsed, configPath, overrides);
            var runConfig = run.Spec;
            string name = runConfig.Name ?? Path.GetFileNameWithoutExtension(configPath);
            var directory = new RunDirectory(dir ?? Path.Combine(CliApp.Settings(parsed).RunsDir, $"{name}-{DateTime.Now:yyyyMMdd-HHmmss}"));
            if (!resuming)
            {
                directory.WriteConfig(run.Resolved);
                directory.WriteJson(directory.RunFile, RunInfo.Describe(run));
            }
            stderr.WriteLine($"run {directory.Path}: {run.Spec.Tokenizer.Id} + {run.Spec.Objective.Id} on {run.Spec.Dataset.Id} " +
                             $"({run.Loader.Count} images, {run.TotalSteps} steps, {run.Device.type.ToString().ToLowerInvariant()})");

            // The run is recorded in the store it shares with the portal (source "cli"); a store problem is only a warning.
            // With --portal, the portal records it: this process never opens the store.
            var record = RunEvents.CliRun(run, directory.Path, name, resuming);
            using var recorder = parsed.GetValue(portal) is { } url
                ? AttachToPortal(url, parsed.GetValue(token) ?? Environment.GetEnvironmentVariable(PortalClient.TokenVariable), record, stderr)
                : AttachToStore(CliApp.Settings(parsed).DataDir, record, stderr);
            recorder.MarkRunning(run, resuming ? StoreRecorder.CheckpointStep(new Checkpoints(directory.Path).Latest()) : null);
            var line = new ProgressLine(stderr);
            TrainingSummary summary;
            try
            {
                summary = new TrainingDriver(run, directory, recorder).Run(resuming, max, line.Show, stop.Token);
            }
            catch (Exception e)
            {
                recorder.Fail(e);
                throw;
            }
            line.Finish();
            recorder.Finish(summary);
            stdout.WriteLine($"{(summary.Cancelled ? "stopped" : "done")}: {summary.Steps}/{summary.TotalSteps} steps{(summary.BudgetReached ? $" (time budget trainer.max_minutes={runConfig.Trainer.MaxMinutes} reached)" : "")}, " +
                             $"loss {summary.FirstLoss:F4} -> {summary.LastLoss:F4}, {summary.ImagesPerSecond:F0} img/s, {summary.WallSeconds:F1} s. " +
                             $"Summary: {directory.SummaryFile}" + (summary.Cancelled ? $". Continue with: scott-lab train --resume --run-dir {directory.Path}" : ""));
            return 0;
        });
        return command;
    }

    private static IRunRecorder AttachToStore(string dataDir, CliRunRequest record, TextWriter stderr)
    {
        var recorder = StoreRecorder.Open(dataDir, stderr);
        recorder.AttachCliRun(record);
        return recorder;
    }

    /// <summary>The portal records the run (a new one, or for --resume the one it has for the folder) and gives its token.</summary>
    private static IRunRecorder AttachToPortal(string url, string? adminKey, CliRunRequest record, TextWriter stderr)
    {
        var client = new PortalClient(url, null);
        CliRunResponse created;
        try
        {
            created = client.Ask(() => client.CreateCliRun(record, adminKey), "start it, or train without --portal to record the run in the local store",
                refused => refused.Status == System.Net.HttpStatusCode.Forbidden ? " Pass the portal's admin key with --token." : "");
        }
        catch
        {
            client.Dispose();
            throw;
        }
        client.UseToken(created.Token);
        stderr.WriteLine($"run {created.Run.Id}: recorded by the portal {client.Url}");
        // Disposing it gives the portal up to 60 s to take the last events, then leaves them in the journal.
        return new PortalRecorder(client, created.Run.Id, record.Directory, created.Run.ReportedSequence, stderr, ownsClient: true) { FlushOnDispose = TimeSpan.FromSeconds(60) };
    }
}
