using Scott.Lab.Runs;

namespace Scott.Lab.Web.Features.Sessions;

/// <summary>
/// The Slurm executor's settings (<c>ScottLab:Slurm</c>): the job's resources (<see cref="JobOverrides"/>: defaults
/// that a launch may override per run) and how the portal talks to Slurm.
/// </summary>
public sealed class SlurmOptions : JobOverrides
{
    /// <summary>Offer the slurm executor in the New experiment form even while <c>ScottLab:Executor</c> is local.</summary>
    public bool Enabled { get; set; }
    /// <summary>How often the portal asks Slurm about its jobs, in seconds.</summary>
    public double PollSeconds { get; set; } = 5;
    /// <summary>Seconds a cancelled job's worker gets to save a checkpoint after SIGTERM before <c>scancel</c> ends the job.</summary>
    public double CancelGraceSeconds { get; set; } = 60;
    public string Sbatch { get; set; } = "sbatch";
    public string Scontrol { get; set; } = "scontrol";
    public string Scancel { get; set; } = "scancel";
    /// <summary>sacct, asked about a job that left the queue (where accounting is on); empty: not asked.</summary>
    public string? Sacct { get; set; } = "sacct";
    /// <summary>The dotnet the job runs the worker with (same path on the nodes); default: the portal's own.</summary>
    public string? Dotnet { get; set; }
    /// <summary>scott-lab.dll the job runs (a path the nodes see); default: the one beside the portal.</summary>
    public string? CliDll { get; set; }
}
