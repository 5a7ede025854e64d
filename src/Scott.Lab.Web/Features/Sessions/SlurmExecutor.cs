using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Plugins;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Plugins;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Features.Sessions;

/// <summary>
/// Workers as Slurm batch jobs: the job script (RUN/slurm-job.sh) runs the worker on a node; the portal submits it
/// with <c>sbatch --parsable</c>, asks <c>scontrol show job</c> how it goes, and stops it with <c>scancel</c>. The run
/// folder must be on a path the nodes share (RunsDir); the plugins the spec names are copied into RUN/plugins at
/// submission and the job loads those copies only.
/// </summary>
public sealed class SlurmExecutor(WorkerCommandLine commandLine, PortalPlugins plugins, IOptions<PortalOptions> options, ILogger<SlurmExecutor> logger) : IExecutor
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    public string Name => Executors.Slurm;

    public SlurmOptions Settings => options.Value.Slurm;

    public ExecutorHandle StartWorker(RunRecord run, string claimToken)
    {
        var settings = SlurmJobSettings.Merge(Settings, run.JobOverrides);
        if (settings.Problems() is { Count: > 0 } problems) throw new ExecutorException(string.Join(" ", problems));
        Directory.CreateDirectory(run.Directory);
        string pluginsDir = CopyPlugins(run);
        var invocation = commandLine.Worker(run, claimToken, [pluginsDir]);
        string dotnet = string.IsNullOrWhiteSpace(Settings.Dotnet) ? ScottLabCli.DotnetHost() : Settings.Dotnet;
        string dll = string.IsNullOrWhiteSpace(Settings.CliDll) ? ScottLabCli.Dll : Settings.CliDll;
        string scriptPath = Path.Combine(run.Directory, SlurmJobScript.FileName);
        File.WriteAllText(scriptPath, SlurmJobScript.Generate(run.Id, run.Directory, settings, [dotnet, dll, .. invocation.Arguments]));

        // The environment goes with the job (--export=ALL): what the worker must be told but the script must not show.
        var (code, stdout, stderr) = RunCommand(Settings.Sbatch, ["--parsable", "--export=ALL", scriptPath], invocation.Environment);
        if (code != 0)
            throw new ExecutorException($"`{Settings.Sbatch} --parsable {scriptPath}` refused the job (exit code {code}): {OneLine(stderr)}");
        string jobId = SlurmOutput.ParseSbatch(stdout)
            ?? throw new ExecutorException($"`{Settings.Sbatch} --parsable` printed no job id: '{OneLine(stdout)}' {OneLine(stderr)}");
        logger.LogInformation("Run {RunId}: submitted as Slurm job {JobId}", run.Id, jobId);
        return new ExecutorHandle(run.Id, JobId: jobId);
    }

    /// <summary>SIGTERM to the worker (the batch step: it is the job script's exec'd process); the job ends when it has saved a checkpoint.</summary>
    public void Stop(ExecutorHandle handle) => Scancel(handle.JobId!, "--signal=TERM", "--full");

    public void Kill(ExecutorHandle handle) => Scancel(handle.JobId!);

    private void Scancel(string jobId, params string[] flags)
    {
        var (code, _, stderr) = RunCommand(Settings.Scancel, [.. flags, jobId]);
        if (code != 0 && !SlurmOutput.IsUnknownJob(stderr))
            throw new ExecutorException($"`{Settings.Scancel} {string.Join(' ', [.. flags, jobId])}` failed (exit code {code}): {OneLine(stderr)}");
    }

    /// <summary>
    /// What Slurm says about a job: <c>scontrol show job</c>, or for a job that left the controller's memory, sacct
    /// (where accounting is on). Null when neither knows it: the job vanished. Throws when Slurm can't be asked.
    /// </summary>
    public SlurmJobStatus? Query(string jobId)
    {
        var (code, stdout, stderr) = RunCommand(Settings.Scontrol, ["show", "job", "-o", jobId]);
        if (code == 0 && SlurmOutput.ParseScontrol(stdout) is { } status) return status;
        if (code != 0 && !SlurmOutput.IsUnknownJob(stderr))
            throw new ExecutorException($"`{Settings.Scontrol} show job -o {jobId}` failed (exit code {code}): {OneLine(stderr)}");
        if (string.IsNullOrWhiteSpace(Settings.Sacct)) return null;
        try
        {
            var (sacctCode, sacctOut, _) = RunCommand(Settings.Sacct, ["-n", "-X", "-P", "-j", jobId, "-o", "State,ExitCode"]);
            if (sacctCode == 0 && SlurmOutput.ParseSacct(sacctOut) is { } final)
                return new SlurmJobStatus(jobId, final.State, "from sacct", null, 0, final.ExitCode);
        }
        catch (ExecutorException) { } // no sacct here: the job vanished
        return null;
    }

    /// <summary>
    /// Copies the folder of each plugin the run's spec names (dataset, tokenizer, objective) into RUN/plugins, once:
    /// a resumed or requeued job loads the files the run started with. RUN/plugins/SHA256SUMS lists their hashes.
    /// </summary>
    public string CopyPlugins(RunRecord run)
    {
        string target = Path.Combine(run.Directory, "plugins");
        Directory.CreateDirectory(target);
        var sums = new List<string>();
        foreach (var (kind, section) in new[] { (PluginKind.Dataset, "dataset"), (PluginKind.Tokenizer, "tokenizer"), (PluginKind.Objective, "objective") })
        {
            string? id = run.Spec?[section]?["id"]?.ToString();
            if (id is null) continue;
            var entry = plugins.Catalog.Entries.FirstOrDefault(e => e.Kind == kind && e.Id == id && e.Status == PluginStatus.Loaded)
                ?? throw new ExecutorException($"{section}: plugin '{id}' is not loaded in the portal, so it can't be copied for the Slurm job. See the Plugins page.");
            string source = Path.GetDirectoryName(entry.AssemblyPath)!;
            // Name/Name.dll in its own folder (with its dependencies) is copied whole; a DLL lying directly in a plugin folder alone.
            bool ownFolder = Path.GetFileName(source) == Path.GetFileNameWithoutExtension(entry.AssemblyPath);
            string copied = ownFolder ? Path.Combine(target, Path.GetFileName(source)) : Path.Combine(target, Path.GetFileName(entry.AssemblyPath));
            if (ownFolder && !Directory.Exists(copied)) CopyFolder(source, copied);
            else if (!ownFolder && !File.Exists(copied)) File.Copy(entry.AssemblyPath, copied);
            string dll = ownFolder ? Path.Combine(copied, Path.GetFileName(entry.AssemblyPath)) : copied;
            sums.Add($"{PluginCatalog.Sha256Of(dll)}  {Path.GetRelativePath(target, dll)}");
        }
        File.WriteAllLines(Path.Combine(target, "SHA256SUMS"), sums.Distinct());
        return target;
    }

    private static void CopyFolder(string from, string to)
    {
        string partial = to + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(partial, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(partial);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(partial, Path.GetRelativePath(from, file)));
        Directory.Move(partial, to); // whole or not at all
    }

    private static string OneLine(string text) => string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Runs a Slurm command; throws <see cref="ExecutorException"/> naming it when it can't be run or hangs.</summary>
    private static (int Code, string Stdout, string Stderr) RunCommand(string file, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new ExecutorException($"`{file}` could not be started.");
        }
        catch (Win32Exception e)
        {
            throw new ExecutorException($"`{file}` could not be run: {e.Message}. Install Slurm's client commands (Debian: slurm-client) on the portal's machine, " +
                                        $"or set ScottLab:Slurm:{SettingOf(file)} to the command's path.");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(CommandTimeout))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw new ExecutorException($"`{file} {string.Join(' ', args)}` did not answer within {CommandTimeout.TotalSeconds:F0} s: is slurmctld reachable?");
            }
            return (process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    private static string SettingOf(string file) => Path.GetFileName(file) switch
    {
        var f when f.Contains("sbatch") => "Sbatch",
        var f when f.Contains("scancel") => "Scancel",
        var f when f.Contains("scontrol") => "Scontrol",
        var f when f.Contains("sacct") => "Sacct",
        _ => "Sbatch",
    };
}
