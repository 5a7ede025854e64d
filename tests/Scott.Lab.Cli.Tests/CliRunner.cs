using Scott.Lab.Cli.Commands;

[assembly: CollectionBehavior(DisableTestParallelization = true)] // torch's RNG and thread pool are process-wide

namespace Scott.Lab.Cli.Tests;

/// <summary>Runs scott-lab in-process and captures what it prints.</summary>
public static class CliRunner
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = CliApp.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The repository root (where configs/ lives), found from the test's output folder.</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Scott.Lab.sln"))) return dir.FullName;
            throw new InvalidOperationException("Scott.Lab.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Config(string relative) => Path.Combine(RepoRoot, relative);

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "scott-lab-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
