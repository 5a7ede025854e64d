using System.CommandLine;
using System.Text.RegularExpressions;
using Scott.Lab.Cli.Recording;
using Scott.Lab.Engine.Config;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Reporting;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab adopt [FOLDER...]</c>: records run folders that the store does not know, from what the folders hold
/// (<see cref="RunFolderReplay"/>). With no folder, every run folder under DATA/runs. The way back after the portal
/// moved an unreadable store aside, or for run folders copied in from another machine.
/// </summary>
public static partial class AdoptCommand
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
            var chosen = given.Length > 0
                ? given.Select(Path.GetFullPath).ToList()
                : Directory.Exists(store.RunsDir)
                    ? Directory.GetDirectories(store.RunsDir).Where(d => File.Exists(Path.Combine(d, "config.yaml"))).Order(StringComparer.Ordinal).ToList()
                    : [];
            if (chosen.Count == 0) stdout.WriteLine($"adopt: no run folders under {store.RunsDir}");
            int adopted = 0;
            foreach (string folder in chosen)
            {
                if (store.FindByDirectory(folder) is { } known)
                {
                    stdout.WriteLine($"{folder}: already run {known.Id}, skipped");
                    continue;
                }
                var replay = RunFolderReplay.Read(folder);
                var run = store.Create(new RunRecord
                {
                    // The folder's own name when it is a run id that is free: links to the run keep working.
                    Id = RunId().IsMatch(Path.GetFileName(folder)) && store.Get(Path.GetFileName(folder)) is null ? Path.GetFileName(folder) : "",
                    Name = replay.Request.Name,
                    Directory = folder,
                    Spec = replay.Request.Spec,
                    Source = "cli",
                    Dataset = replay.Request.Dataset,
                    Tokenizer = replay.Request.Tokenizer,
                    Objective = replay.Request.Objective,
                    Status = RunStatus.Queued,
                    TotalSteps = replay.Request.TotalSteps,
                });
                foreach (var batch in replay.Events.Chunk(500)) store.ApplyEvents(run.Id, batch);
                var recorded = store.Get(run.Id)!;
                stdout.WriteLine($"{folder}: adopted as run {run.Id} ({recorded.Status.ToString().ToLowerInvariant()}, step {recorded.Step}): " +
                                 $"{store.Metrics(run.Id).Count} metric rows, {store.Artifacts(run.Id).Count(a => a.Kind == "checkpoint")} checkpoints, " +
                                 $"{store.Evaluations(run.Id).Count} evaluations");
                adopted++;
            }
            stderr.WriteLine($"adopt: {adopted} of {chosen.Count} run folders recorded in {store.DatabaseFile}");
            return 0;
        });
        return command;
    }

    [GeneratedRegex(@"^\d{8}-\d{6}-[0-9a-f]{8}$")]
    private static partial Regex RunId();
}
