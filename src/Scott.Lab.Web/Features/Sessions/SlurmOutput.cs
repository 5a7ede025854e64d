using System.Globalization;

namespace Scott.Lab.Web.Features.Sessions;

/// <summary>What Slurm says about a job: state, why it waits or ended, its node, how often it was restarted.</summary>
public sealed record SlurmJobStatus(string JobId, string State, string? Reason, string? Node, int Restarts, string? ExitCode)
{
    /// <summary>States after which the job will not run again (a requeue shows as PENDING or REQUEUED instead).</summary>
    public bool IsFinal => State is "COMPLETED" or "FAILED" or "CANCELLED" or "TIMEOUT" or "OUT_OF_MEMORY" or "BOOT_FAIL" or "DEADLINE"
        or "NODE_FAIL" or "PREEMPTED" or "SPECIAL_EXIT" or "REVOKED";

    /// <summary>Final states that Slurm turns into a requeue for a <c>--requeue</c> job: believed only when seen twice.</summary>
    public bool MayBeRequeued => State is "NODE_FAIL" or "PREEMPTED";

    /// <summary>The state as a person reads it: <c>PENDING (Resources)</c>.</summary>
    public override string ToString() => Reason is null ? State : $"{State} ({Reason})";
}

/// <summary>Parses the output of Slurm's commands (one place, so unit tests pin the formats).</summary>
public static class SlurmOutput
{
    /// <summary>The job id from <c>sbatch --parsable</c>: <c>1234</c> or <c>1234;cluster</c>.</summary>
    public static string? ParseSbatch(string stdout)
    {
        string line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        string id = line.Split(';')[0].Trim();
        return id.Length > 0 && id.All(char.IsAsciiDigit) ? id : null;
    }

    /// <summary>
    /// <c>scontrol show job -o ID</c>: one line of <c>Key=Value</c> pairs (a value may contain spaces, e.g. a
    /// Command path: a word that is not <c>Key=</c> belongs to the value before it). Null when it names no job.
    /// </summary>
    public static SlurmJobStatus? ParseScontrol(string stdout)
    {
        var fields = ScontrolFields(stdout);
        if (!fields.TryGetValue("JobId", out var id) || !fields.TryGetValue("JobState", out var state)) return null;
        string? reason = fields.GetValueOrDefault("Reason") is { Length: > 0 } r && r != "None" ? r : null;
        string? node = fields.GetValueOrDefault("BatchHost") is { Length: > 0 } host && host != "(null)" ? host
            : fields.GetValueOrDefault("NodeList") is { Length: > 0 } list && list != "(null)" ? list : null;
        int restarts = int.TryParse(fields.GetValueOrDefault("Restarts"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : 0;
        return new SlurmJobStatus(id, state, reason, node, restarts, fields.GetValueOrDefault("ExitCode"));
    }

    public static Dictionary<string, string> ScontrolFields(string stdout)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        string? key = null;
        foreach (var word in stdout.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = word.IndexOf('=');
            if (eq > 0 && word[..eq].All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':' or '/'))
            {
                key = word[..eq];
                fields[key] = word[(eq + 1)..];
            }
            else if (key is not null)
            {
                fields[key] += " " + word;
            }
        }
        return fields;
    }

    /// <summary>Does scontrol's stderr say that Slurm does not know the job (any more)?</summary>
    public static bool IsUnknownJob(string stderr) => stderr.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>sacct -n -X -P -j ID -o State,ExitCode</c>: the state of a job that left the queue, or null.</summary>
    public static (string State, string ExitCode)? ParseSacct(string stdout)
    {
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (line is null) return null;
        var parts = line.Split('|');
        // "CANCELLED by 0" → CANCELLED
        return parts.Length >= 2 && parts[0].Length > 0 ? (parts[0].Split(' ')[0], parts[1]) : null;
    }
}
