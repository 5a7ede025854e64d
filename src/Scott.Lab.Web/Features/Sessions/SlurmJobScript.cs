using System.Globalization;
using System.Text;
using Scott.Lab.Runs;

namespace Scott.Lab.Web.Features.Sessions;

/// <summary>A job's resources: the portal's <see cref="SlurmOptions"/> with a run's <see cref="JobOverrides"/> laid over them.</summary>
public sealed record SlurmJobSettings(
    string? Partition, string? Account, string? Qos, int? Gpus, int? CpusPerTask, string? Memory, string? TimeLimit,
    IReadOnlyList<string> ExtraSbatch, string? Setup)
{
    public static SlurmJobSettings Merge(JobOverrides defaults, JobOverrides? run) => new(
        Pick(run?.Partition, defaults.Partition), Pick(run?.Account, defaults.Account), Pick(run?.Qos, defaults.Qos),
        run?.Gpus ?? defaults.Gpus, run?.CpusPerTask ?? defaults.CpusPerTask,
        Pick(run?.Memory, defaults.Memory), Pick(run?.TimeLimit, defaults.TimeLimit),
        run?.ExtraSbatch ?? defaults.ExtraSbatch ?? [], Pick(run?.Setup, defaults.Setup));

    private static string? Pick(string? run, string? setting) => !string.IsNullOrWhiteSpace(run) ? run.Trim() : string.IsNullOrWhiteSpace(setting) ? null : setting.Trim();

    /// <summary>
    /// What is wrong with the settings, one message each, naming the key (as <c>slurm.KEY</c>) and the fix. Values go
    /// into <c>#SBATCH</c> lines, so a line break (or a space in a one-word value) would change the script.
    /// </summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void OneWord(string key, string? value)
        {
            if (value is not null && value.Any(char.IsWhiteSpace))
                problems.Add($"slurm.{key}: '{value}' contains a space or line break; give one word, as sbatch takes it.");
        }
        OneWord("partition", Partition);
        OneWord("account", Account);
        OneWord("qos", Qos);
        OneWord("memory", Memory);
        OneWord("timeLimit", TimeLimit);
        if (Gpus is < 0) problems.Add($"slurm.gpus: {Gpus} is negative; give 0 (no GPU) or more.");
        if (CpusPerTask is < 1) problems.Add($"slurm.cpusPerTask: {CpusPerTask} is less than 1.");
        foreach (var line in ExtraSbatch)
            if (line.Contains('\n') || line.Contains('\r'))
                problems.Add($"slurm.extraSbatch: '{line.ReplaceLineEndings(" ")}' has a line break; give one option per entry.");
        return problems;
    }
}

/// <summary>
/// The batch script of a run's job (RUN/slurm-job.sh, kept for the user to read): the job options, the setup block and
/// the worker command. The worker is exec'd, so Slurm's signals (cancel, requeue, preemption, time limit) reach it
/// directly and it saves a checkpoint.
/// </summary>
public static class SlurmJobScript
{
    public const string FileName = "slurm-job.sh";

    /// <param name="runId">The run (named in the job name).</param>
    /// <param name="runDirectory">The run folder: the job's working directory and where its log goes.</param>
    /// <param name="command">The worker's absolute command line (dotnet, scott-lab.dll, arguments).</param>
    public static string Generate(string runId, string runDirectory, SlurmJobSettings settings, IReadOnlyList<string> command)
    {
        var script = new StringBuilder();
        script.Append("#!/bin/bash\n");
        script.Append($"# Scott.Lab run {runId}: written by the portal, which submits it with `sbatch --parsable`. Kept for reading.\n");
        script.Append($"#SBATCH --job-name=scott-lab-{runId}\n");
        script.Append($"#SBATCH --output={runDirectory}/slurm-%j.log\n");
        script.Append("#SBATCH --open-mode=append\n");
        // A requeued, preempted or node-failed job runs again; its worker resumes the run from the latest checkpoint.
        script.Append("#SBATCH --requeue\n");
        script.Append($"#SBATCH --chdir={runDirectory}\n");
        if (settings.Partition is { } partition) script.Append($"#SBATCH --partition={partition}\n");
        if (settings.Account is { } account) script.Append($"#SBATCH --account={account}\n");
        if (settings.Qos is { } qos) script.Append($"#SBATCH --qos={qos}\n");
        if (settings.Gpus is > 0 and var gpus) script.Append($"#SBATCH --gres=gpu:{gpus.ToString(CultureInfo.InvariantCulture)}\n");
        if (settings.CpusPerTask is { } cpus) script.Append($"#SBATCH --cpus-per-task={cpus.ToString(CultureInfo.InvariantCulture)}\n");
        if (settings.Memory is { } memory) script.Append($"#SBATCH --mem={memory}\n");
        if (settings.TimeLimit is { } time) script.Append($"#SBATCH --time={time}\n");
        foreach (var extra in settings.ExtraSbatch.Select(e => e.Trim()).Where(e => e.Length > 0))
            script.Append(extra.StartsWith("#SBATCH", StringComparison.Ordinal) ? extra : "#SBATCH " + extra).Append('\n');
        script.Append('\n');
        script.Append("echo \"--- $(date -u '+%Y-%m-%d %H:%M:%S')Z job $SLURM_JOB_ID attempt ${SLURM_RESTART_COUNT:-0} on $(hostname)\"\n");
        if (settings.Setup is { } setup)
        {
            script.Append("# setup (ScottLab:Slurm:Setup or the run's slurm.setup)\n");
            script.Append(setup.ReplaceLineEndings("\n").TrimEnd('\n')).Append('\n');
        }
        script.Append("exec ").Append(string.Join(' ', command.Select(Quote))).Append('\n');
        return script.ToString();
    }

    /// <summary>A word for bash: single-quoted, with ' written as '\''.</summary>
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "/._-=:+,@%".Contains(c)) ? word : "'" + word.Replace("'", "'\\''") + "'";
}
