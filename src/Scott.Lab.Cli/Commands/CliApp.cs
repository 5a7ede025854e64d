using Scott.Lab.Engine.Hosting;
using System.CommandLine;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Training;
using Scott.Lab.Plugins;

namespace Scott.Lab.Cli.Commands;

/// <summary>Builds the command tree and turns every expected failure into a one-line error and an exit code.</summary>
public static class CliApp
{
    // Every exit code of every command, in one place: 0 done, 1 failure, 2 configuration error; 3 is an outcome of one
    // command that is neither success nor an error, and means one thing per command.
    public const int ExitFailure = 1;
    public const int ExitConfigError = 2;
    /// <summary>`export --names reference` of a model the reference's layout cannot express (--names own can): the
    /// portal's automatic choice of names reads this code, not the message.</summary>
    public const int ExitNoReferenceLayout = 3;
    /// <summary>`worker`: another live worker trains the run (holds its claim), so this one changed nothing.</summary>
    public const int ExitNotClaimed = 3;

    public static readonly Option<string[]> PluginFolders = new("--plugins")
    {
        Description = "Extra plugin folders (the built-in plugins next to the program are always loaded).",
        Recursive = true,
        AllowMultipleArgumentsPerToken = true,
    };

    public static readonly Option<string?> DataDir = new("--data-dir")
    {
        Description = "Data folder shared with the portal (default: ScottLab:DataDir in appsettings.json, or ScottLab__DataDir).",
        Recursive = true,
    };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("Scott.Lab: self-supervised representation learning (SCOTT + MIM-JEPA and friends).")
        {
            PluginFolders,
            DataDir,
            TrainCommand.Create(stdout, stderr),
            EvalCommand.Create(stdout, stderr),
            VizCommand.Create(stdout, stderr),
            PluginsCommand.Create(stdout),
            BenchCommand.Create(stdout, stderr),
            DatasetsCommand.Create(stdout),
            WorkerCommand.Create(stdout, stderr),
            SweepCommand.Create(stdout, stderr),
            SweepLaunchCommand.Create(stdout, stderr),
            ExportCommand.Create(stdout, stderr),
            ImportCommand.Create(stdout, stderr),
            EmbedCommand.Create(stdout, stderr),
            AdoptCommand.Create(stdout, stderr),
        };
        try
        {
            var parsed = root.Parse(args);
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsExpected(e))
        {
            stderr.WriteLine($"error: {e.Message}");
            return e is ConfigException or PluginException or Engine.Interop.InteropException or Engine.Interop.WeightsFileException
                or Runs.RunStoreUnreadableException ? ExitConfigError : ExitFailure;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"error: unexpected {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("SCOTT_LAB_DEBUG") == "1") stderr.WriteLine(e);
            else stderr.WriteLine("(set SCOTT_LAB_DEBUG=1 to see the stack trace)");
            return ExitFailure;
        }
    }

    private static bool IsExpected(Exception e) =>
        e is ConfigException or PluginException or DatasetException or TrainingDivergedException or InvalidOperationException or IOException
            or Engine.Interop.InteropException or Engine.Interop.WeightsFileException or Runs.RunStoreUnreadableException;

    /// <summary>When "1", plugins load from --plugins and SCOTT_LAB_PLUGINS only (not the built-in folder, DATA/plugins or the settings').</summary>
    public const string PluginsOnlyVariable = "SCOTT_LAB_PLUGINS_ONLY";

    /// <summary>
    /// The catalog of the environment's plugin folders: built-in, DATA/plugins (uploads), configured, --plugins.
    /// Files the portal quarantined (their probe killed its process, see PluginQuarantine) are not loaded here either.
    /// </summary>
    public static PluginCatalog LoadCatalog(ParseResult parsed)
    {
        var settings = Settings(parsed);
        // A Slurm job loads the plugin copies in its run folder only (--plugins), so it trains exactly the files the portal hashed.
        var folders = Environment.GetEnvironmentVariable(PluginsOnlyVariable) == "1"
            ? settings.FoldersOf(PluginFolderKind.CommandLine).Distinct(StringComparer.Ordinal).ToList()
            : settings.PluginFolderPaths;
        return PluginCatalog.Load(folders, new PluginQuarantine(settings.DataDir).QuarantineReason);
    }

    /// <summary>Config file + --set overrides (+ the objective's augmentation recipe where they set none) → a validated, assembled run with the plugins of the catalog.</summary>
    public static AssembledRun BuildRun(ParseResult parsed, string configPath, IEnumerable<string> overrides) =>
        BuildRun(parsed, ConfigLoader.LoadTree(configPath, overrides));

    /// <summary>A spec tree (a config file's, or a stored run's) → the bound spec → the assembled run.</summary>
    public static AssembledRun BuildRun(ParseResult parsed, System.Text.Json.Nodes.JsonObject tree)
    {
        var catalog = LoadCatalog(parsed);
        return RunBuilder.Build(RunSpecBinder.BindOrThrow(tree, catalog), catalog);
    }

    /// <summary>
    /// The spec of the run in <paramref name="directory"/>: the run store's (the source of truth) when the run is
    /// recorded there, else the folder's config.yaml (a run folder that no store knows, e.g. copied from elsewhere).
    /// </summary>
    public static System.Text.Json.Nodes.JsonObject SpecOf(ParseResult parsed, string directory, IEnumerable<string>? overrides = null)
    {
        System.Text.Json.Nodes.JsonObject? stored = null;
        try
        {
            using var store = new Scott.Lab.Runs.RunStore(Settings(parsed).DataDir);
            stored = store.FindByDirectory(directory)?.Spec;
        }
        catch (Exception e) when (e is IOException or LiteDB.LiteException or UnauthorizedAccessException or Runs.RunStoreUnreadableException) { } // no store here: the folder's copy
        string file = Path.Combine(directory, "config.yaml");
        if (stored is null && !File.Exists(file))
            throw new ConfigException($"--run: {directory} is not a run of the store in {Settings(parsed).DataDir} and has no config.yaml; is it a run directory made by `scott-lab train`?");
        return WithOverrides(stored ?? ConfigLoader.LoadTree(file), overrides ?? []);
    }

    /// <summary>A copy of a run's stored spec with --set style <paramref name="overrides"/> applied (and keys retired since it was recorded removed).</summary>
    public static System.Text.Json.Nodes.JsonObject WithOverrides(System.Text.Json.Nodes.JsonObject stored, IEnumerable<string> overrides)
    {
        var tree = (System.Text.Json.Nodes.JsonObject)stored.DeepClone();
        RetiredKeys.Strip(tree); // a run recorded before a key was removed (its resolved spec names every key)
        foreach (var assignment in overrides) ConfigLoader.ApplyOverride(tree, assignment);
        return tree;
    }

    /// <summary>The host environment: --data-dir (or the settings), and --plugins plus SCOTT_LAB_PLUGINS after the settings' folders.</summary>
    public static LabEnvironment Settings(ParseResult parsed)
    {
        var fromEnv = Environment.GetEnvironmentVariable("SCOTT_LAB_PLUGINS") is { Length: > 0 } list
            ? list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries) : [];
        return LabEnvironment.Load(parsed.GetValue(DataDir), [.. parsed.GetValue(PluginFolders) ?? [], .. fromEnv]);
    }

    /// <summary>A config path as given, or relative to the repository's configs/ when run from elsewhere.</summary>
    public static string FindConfig(string path)
    {
        if (File.Exists(path)) return path;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, path);
            if (File.Exists(candidate)) return candidate;
        }
        throw new ConfigException($"config file not found: {Path.GetFullPath(path)}");
    }
}
