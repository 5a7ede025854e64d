using System.CommandLine;
using Scott.Lab.Cli.Recording;
using Scott.Lab.Engine.Config;
using Scott.Lab.Runs;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab adopt [FOLDER...]</c>: records run folders that the store does not know, from what the folders hold
/// (<see cref="RunFolderReplay"/>). With no folder, every run folder under DATA/runs. The way back after the portal
/// moved an unreadable store aside, or for run folders copied in from another machine.
/// </summary>
public static class AdoptCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var folders = new Argument<string[]>("folders") { Description = "Run folders (default: every folder under DATA/runs with a config.yaml).", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("adopt", "Record run folders the run store does not know (after an unreadable store was moved aside, or copied-in runs).") { folders };
        command.SetAction(parsed =>
        {
            var settings = CliApp.Settings(parsed);
            using var store = new RunStore(settings.DataDir);
            var given = parsed.GetValue(folders) ?? [];
            foreach (string folder in given)
                if (!Directory.Exists(folder)) throw new ConfigException($"adopt: {Path.GetFullPath(folder)} not found.");
            var chosen = given.Length > 0 ? given.Select(Path.GetFullPath).ToList() : RunFolderReplay.RunFolders(store);
            if (chosen.Count == 0) stdout.WriteLine($"adopt: no run folders under {store.RunsDir}");
            int adopted = 0;
            foreach (string folder in chosen)
            {
                var (run, isNew) = RunFolderReplay.Adopt(store, folder);
                if (!isNew)
                {
                    stdout.WriteLine($"{folder}: already run {run.Id}, skipped");
                    continue;
                }
                stdout.WriteLine($"{folder}: adopted as run {run.Id} ({run.Status.ToString().ToLowerInvariant()}, step {run.Step}): " +
                                 $"{store.Metrics(run.Id).Count} metric rows, {store.Artifacts(run.Id).Count(a => a.Kind == "checkpoint")} checkpoints, " +
                                 $"{store.Evaluations(run.Id).Count} evaluations");
                adopted++;
            }
            stderr.WriteLine($"adopt: {adopted} of {chosen.Count} run folders recorded in {store.DatabaseFile}");
            return 0;
        });
        return command;
    }
}
