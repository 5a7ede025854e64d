namespace Scott.Lab.Web.Features.Sessions;

/// <summary>
/// The Slurm executor's settings (<c>ScottLab:Slurm</c>). The job fields (partition ... setup) are defaults that a
/// launch may override per run (<see cref="Scott.Lab.Runs.JobOverrides"/>); empty ones are left out of the job script,
/// so the cluster's defaults apply.
/// </summary>
public sealed class SlurmOptions
{
    /// <summary>Offer the slurm executor in the New experiment form even while <c>ScottLab:Executor</c> is local.</summary>
    public bool Enabled { get; set; }
    public string? Partition { get; set; }
    public string? Account { get; set; }
    public string? Qos { get; set; }
    /// <summary>GPUs per job (<c>--gres=gpu:N</c>); 0 or unset asks for none.</summary>
    public int? Gpus { get; set; }
    public int? CpusPerTask { get; set; }
    /// <summary>Memory per node, as sbatch takes it (e.g. 16G).</summary>
    public string? Memory { get; set; }
    /// <summary>Time limit, as sbatch takes it (e.g. 04:00:00 or 2-00:00:00).</summary>
    public string? TimeLimit { get; set; }
    /// <summary>More job options, one per entry (e.g. <c>--constraint=a100</c> or a whole <c>#SBATCH ...</c> line).</summary>
    public List<string> ExtraSbatch { get; set; } = [];
    /// <summary>Shell lines run before the worker (module loads, environment), e.g. <c>module load cuda/12.4</c>.</summary>
    public string? Setup { get; set; }
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
