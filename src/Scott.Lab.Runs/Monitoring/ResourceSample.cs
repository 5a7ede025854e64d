namespace Scott.Lab.Runs;

/// <summary>
/// What one process of a run (its training worker, or an `eval`) used at one moment: sampled by the process itself
/// every few seconds and reported like its other events, so it works wherever the process runs (a Slurm node
/// included). Keyed by run, role, process and time: a replayed journal stores each sample once.
/// </summary>
public sealed class ResourceSample
{
    public string Id { get; set; } = "";
    public string RunId { get; set; } = "";
    /// <summary>worker | eval.</summary>
    public string Role { get; set; } = "worker";
    public string Host { get; set; } = "";
    public int Pid { get; set; }
    public DateTime AtUtc { get; set; }
    /// <summary>CPU time over wall time since the previous sample, in percent of one core (200 = two cores busy).</summary>
    public double CpuPercent { get; set; }
    /// <summary>Resident memory (RSS).</summary>
    public long RssBytes { get; set; }
    /// <summary>On CUDA: the device's utilisation (percent of the last sample period the GPU was busy), from NVML.</summary>
    public double? GpuPercent { get; set; }
    /// <summary>On CUDA: memory in use on the device.</summary>
    public long? GpuMemoryBytes { get; set; }
    public long? GpuMemoryTotalBytes { get; set; }

    public static string IdOf(string runId, ResourceSample s) => $"{runId}:{s.Role}:{s.Pid}:{s.AtUtc.Ticks}";
}
