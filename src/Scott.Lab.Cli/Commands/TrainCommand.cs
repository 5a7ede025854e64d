using Scott.Lab.Cli.Recording;
using Scott.Lab.Cli.Terminal;
using System.CommandLine;
using System.Runtime.InteropServices;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Training;

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
        var command = new Command("train", "Pre-train an encoder.") { config, set, runDir, device, maxSteps, resume };
        command.SetAction(parsed =>
        {
            bool resuming = parsed.GetValue(resume);
            string? dir = parsed.GetValue(runDir);
            if (resuming && dir is null) throw new ConfigException("--resume needs --run-dir DIR: the run to continue.");
            var overrides = (parsed.GetValue(set) ?? []).ToList();
            if (parsed.GetValue(device) is { } d) overrides.Add($"trainer.device={d}");

            // A resumed run uses the config it saved, so that nothing can drift between the two halves.
            string? given = parsed.GetValue(config);
            if (!resuming && given is null) throw new ConfigException("train: give a config file, e.g. scott-lab train configs/ssl/tiny.yaml");
            string configPath = resuming ? Path.Combine(dir!, "config.yaml") : CliApp.FindConfig(given!);
            if (resuming && !File.Exists(configPath)) throw new ConfigException($"--resume: {configPath} not found; is {dir} a run directory?");
            long? max = parsed.GetValue(maxSteps);
            if (max is <= 0) throw new ConfigException($"--max-steps: must be positive, got {max}");

            using var run = CliApp.BuildRun(parsed, configPath, overrides);
            var runConfig = run.Config;
            string name = runConfig.Name ?? Path.GetFileNameWithoutExtension(configPath);
            var directory = new RunDirectory(dir ?? Path.Combine(CliApp.Settings(parsed).RunsDir, $"{name}-{DateTime.Now:yyyyMMdd-HHmmss}"));
            if (!resuming)
            {
                directory.WriteConfig(run.Resolved);
                directory.WriteJson(directory.RunFile, RunInfo.Describe(run));
            }
            stderr.WriteLine($"run {directory.Path}: {run.Config.Tokenizer.Id} + {run.Config.Objective.Id} on {run.Config.Dataset.Id} " +
                             $"({run.Loader.Count} images, {run.TotalSteps} steps, {run.Device.type.ToString().ToLowerInvariant()})");

            // Ctrl+C (SIGINT) and SIGTERM (what a portal or scheduler sends) stop after the current step, with a checkpoint.
            using var cancel = new CancellationTokenSource();
            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                if (!cancel.IsCancellationRequested) stderr.WriteLine("\nstopping after this step (a checkpoint will be saved)...");
                cancel.Cancel();
            }
            using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

            // The run is recorded in the store it shares with the portal (source "cli"); a store problem is only a warning.
            using var recorder = StoreRecorder.Open(CliApp.Settings(parsed).DataDir, stderr);
            recorder.AttachCliRun(run, directory.Path, name, resuming);
            recorder.MarkRunning(run, resuming ? StoreRecorder.CheckpointStep(new Checkpoints(directory.Path).Latest()) : null);
            var line = new ProgressLine(stderr, run.Config.Trainer.LogEvery);
            TrainingSummary summary;
            try
            {
                summary = new TrainingDriver(run, directory, recorder).Run(resuming, max, line.Show, cancel.Token);
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
}
