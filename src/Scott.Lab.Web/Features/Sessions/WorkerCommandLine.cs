using System.Globalization;
using Scott.Lab.Engine.Hosting;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Ingest;
using Scott.Lab.Web.Features.Plugins;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Features.Sessions;

/// <summary>A `scott-lab` command for a run: its arguments (after scott-lab.dll) and the variables its environment adds.</summary>
public sealed record WorkerInvocation(IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment);

/// <summary>
/// The one place a worker's and an evaluation's command line is built, for every executor: the local one starts it as
/// a child process, the Slurm one writes it into the job script (arguments) and submits with it (environment, which
/// sbatch exports to the job and which the script file never shows). Whatever a worker must be told (the data folder,
/// its plugin folders, the portal it reports to and its token) is added here.
/// </summary>
public sealed class WorkerCommandLine(PortalPaths paths, PortalPlugins plugins, WorkerReporting reporting)
{
    /// <summary>
    /// <c>worker --run ID --claim TOKEN</c>. <paramref name="pluginFolders"/>: the only folders it loads plugins from
    /// (a Slurm job: the copies in its run folder); null: the built-in ones, DATA/plugins and the configured ones.
    /// </summary>
    public WorkerInvocation Worker(RunRecord run, string claimToken, IReadOnlyList<string>? pluginFolders = null)
    {
        var args = new List<string> { "worker", "--run", run.Id, "--claim", claimToken };
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        Common(args, environment, pluginFolders);
        Reporting(run, IngestScope.Worker, args, environment);
        return new WorkerInvocation(args, environment);
    }

    /// <summary>
    /// The portal runs the paper protocol's bounded variant: K augmented views per image, extracted once, instead of
    /// an encoder pass over the training split every epoch (100 of them), which a CPU worker cannot afford.
    /// </summary>
    public const int PaperProbeViews = 4;

    /// <summary>
    /// <c>eval --run DIR --protocol P [--labels-per-class N] [--checkpoints C]</c> (paper: with <c>--probe-views</c>
    /// <see cref="PaperProbeViews"/>).
    /// </summary>
    public WorkerInvocation Evaluation(RunRecord run, string protocol, int? labelsPerClass, string? checkpoints = null)
    {
        var args = new List<string> { "eval", "--run", run.Directory, "--protocol", protocol };
        if (checkpoints is not null) args.AddRange(["--checkpoints", checkpoints]);
        if (labelsPerClass is { } n) args.AddRange(["--labels-per-class", n.ToString(CultureInfo.InvariantCulture)]);
        if (protocol == "paper") args.AddRange(["--probe-views", PaperProbeViews.ToString(CultureInfo.InvariantCulture)]);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        Common(args, environment, null);
        Reporting(run, IngestScope.Evaluation, args, environment);
        return new WorkerInvocation(args, environment);
    }

    /// <summary><c>export --run DIR --checkpoint C --part P --format F --names N --out FILE</c>: a run's weights for PyTorch (the portal's download).</summary>
    public WorkerInvocation Export(RunRecord run, string checkpoint, string part, string format, string names, string outFile)
    {
        var args = new List<string> { "export", "--run", run.Directory, "--checkpoint", checkpoint, "--part", part, "--format", format, "--names", names, "--out", outFile };
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        Common(args, environment, null);
        return new WorkerInvocation(args, environment);
    }

    /// <summary>
    /// <c>--portal URL</c> and the run's token (issued now, replacing the previous one; in the environment, never on the
    /// command line) when workers report over HTTP; nothing when they write the store themselves.
    /// </summary>
    private void Reporting(RunRecord run, IngestScope scope, List<string> args, Dictionary<string, string> environment)
    {
        var (extraArgs, extraEnvironment) = reporting.For(run, scope);
        args.AddRange(extraArgs);
        foreach (var (name, value) in extraEnvironment) environment[name] = value;
    }

    /// <summary>The data folder and the plugin folders (the worker finds the built-in ones and DATA/plugins itself).</summary>
    private void Common(List<string> args, Dictionary<string, string> environment, IReadOnlyList<string>? pluginFolders)
    {
        args.AddRange(["--data-dir", paths.DataDir]);
        foreach (var folder in pluginFolders ?? plugins.Environment.FoldersOf(PluginFolderKind.Configured).ToList())
            args.AddRange(["--plugins", folder]);
        if (pluginFolders is not null) environment[Cli.Commands.CliApp.PluginsOnlyVariable] = "1";
    }
}
