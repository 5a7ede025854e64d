using System.Diagnostics;

namespace Scott.Lab.Web.Tests.Sessions;

/// <summary>
/// A test against a real Slurm cluster (deploy/slurm/start.sh starts one on this machine): skipped with the reason
/// when <c>sinfo</c> is not installed or no node answers; under CI (the CI variable set) it runs, so a missing cluster
/// fails instead of hiding. .ci/run starts the cluster.
/// </summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))) return;
        if (Slurm.Why() is { } why) Skip = $"{why}: run deploy/slurm/start.sh (as root) to start a single-node cluster (under CI, with CI set, these tests fail instead).";
    }
}

/// <summary>Slurm's commands, as a test (an operator) would type them.</summary>
public static class Slurm
{
    /// <summary>Null when a node answers sinfo, else why not.</summary>
    public static string? Why()
    {
        try
        {
            var (code, stdout, stderr) = Run("sinfo", "-h", "-o", "%t");
            if (code != 0) return $"sinfo failed ({stderr.Trim()})";
            return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Any(s => s.Trim() is "idle" or "mix" or "alloc") ? null : $"no Slurm node is up (sinfo: {stdout.Trim()})";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "sinfo not found (Slurm is not installed)";
        }
    }

    public static (int Code, string Stdout, string Stderr) Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60))) { process.Kill(); throw new TimeoutException($"{file} {string.Join(' ', args)} hung"); }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The job's fields as `scontrol show job -o` prints them (empty when Slurm forgot it).</summary>
    public static Dictionary<string, string> Job(string jobId)
    {
        var (code, stdout, _) = Run("scontrol", "show", "job", "-o", jobId);
        return code == 0 ? Scott.Lab.Web.Features.Sessions.SlurmOutput.ScontrolFields(stdout) : [];
    }

    /// <summary>Cleanup after a failed test: the job must not hold the node's CPUs for the next test.</summary>
    public static void Cancel(string? jobId)
    {
        if (jobId is not null) Run("scancel", jobId);
    }
}
