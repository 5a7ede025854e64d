using Scott.Lab.Cli.Hosting;
using System.CommandLine;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Training;
using Scott.Lab.Plugins;

namespace Scott.Lab.Cli.Commands;

/// <summary>Builds the command tree and turns every expected failure into a one-line error and an exit code.</summary>
public static class CliApp
{
    public const int ExitConfigError = 2;
    public const int ExitFailure = 1;

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
        };
        try
        {
            var parsed = root.Parse(args);
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsExpected(e))
        {
            stderr.WriteLine($"error: {e.Message}");
            return e is ConfigException or PluginException ? ExitConfigError : ExitFailure;
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
        e is ConfigException or PluginException or DatasetException or TrainingDivergedException or InvalidOperationException or IOException;

    public static PluginCatalog LoadCatalog(ParseResult parsed)
    {
        var settings = Settings(parsed);
        // DATA/plugins holds the plugins uploaded to the portal: a run launched there must build here too.
        var folders = new List<string> { PluginCatalog.BuiltInFolder, Path.Combine(settings.DataDir, "plugins") };
        folders.AddRange(settings.PluginFolders);
        folders.AddRange(parsed.GetValue(PluginFolders) ?? []);
        var fromEnv = Environment.GetEnvironmentVariable("SCOTT_LAB_PLUGINS");
        if (!string.IsNullOrWhiteSpace(fromEnv)) folders.AddRange(fromEnv.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        return PluginCatalog.Load(folders);
    }

    /// <summary>Config file + --set overrides (+ the objective's augmentation recipe where they set none) → a validated, assembled run with the plugins of the catalog.</summary>
    public static AssembledRun BuildRun(ParseResult parsed, string configPath, IEnumerable<string> overrides) =>
        RunBuilder.Build(ConfigLoader.LoadTree(configPath, overrides), LoadCatalog(parsed));

    public static LabSettings Settings(ParseResult parsed) => LabSettings.Load(parsed.GetValue(DataDir));

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
