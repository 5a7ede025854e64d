using System.Diagnostics;
using System.Reflection;
using Scott.Lab.Engine.Training;
using TorchSharp;

namespace Scott.Lab.Cli.Recording;

/// <summary>What a run records for reproducibility: plugins with versions and hashes, device, library versions, git commit.</summary>
public static class RunInfo
{
    public static object Describe(AssembledRun run) => new
    {
        Plugins = run.Plugins,
        Device = run.Device.type.ToString().ToLowerInvariant(),
        Threads = torch.get_num_threads(),
        ScottLab = typeof(RunInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
        TorchSharp = typeof(torch).Assembly.GetName().Version?.ToString(),
        Dotnet = Environment.Version.ToString(),
        GitCommit = GitCommit(),
        Parameters = run.Objective.parameters().Where(p => p.requires_grad).Sum(p => p.numel()),
        EncoderParameters = run.Objective.Encoder.parameters().Sum(p => p.numel()),
        CreatedUtc = DateTime.UtcNow,
    };

    /// <summary>Library versions, as the run store keeps them (RunRecord.Libraries).</summary>
    public static Dictionary<string, string> Libraries() => new()
    {
        ["scott-lab"] = typeof(RunInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
        ["torchsharp"] = typeof(torch).Assembly.GetName().Version?.ToString() ?? "",
        ["dotnet"] = Environment.Version.ToString(),
    };

    public static string? GitCommit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse HEAD") { RedirectStandardOutput = true, RedirectStandardError = true });
            if (git is null) return null;
            string sha = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit(2000);
            return git.ExitCode == 0 ? sha : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // git not installed
        }
    }
}
