using Scott.Lab.Cli.Recording;
using Scott.Lab.Runs;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Features.Runs;

/// <summary>
/// Opens the portal's run store. A store file that is not a LiteDB database (torn, overwritten, another program's)
/// must not keep the portal from starting, nor lose its runs: it is renamed aside, deleting nothing, a new store
/// starts in its place, the run folders under DATA/runs are recorded in it again in the background
/// (<see cref="RunFolderReplay"/>, what `scott-lab adopt` does), and every page says so (<see cref="Notice"/>).
/// </summary>
public sealed class RunStoreOpener(PortalPaths paths, ILogger<RunStoreOpener> logger)
{
    private volatile string? _notice;

    /// <summary>What happened to an unreadable store on start-up; null when it opened as it was.</summary>
    public string? Notice => _notice;

    /// <summary>The background recording of the run folders after a store was moved aside (completed otherwise).</summary>
    public Task Adoption { get; private set; } = Task.CompletedTask;

    public RunStore Open()
    {
        RunStore store;
        try { store = new RunStore(paths.DataDir); }
        catch (RunStoreUnreadableException e)
        {
            string moved = RunStore.MoveAside(paths.DataDir, DateTime.UtcNow);
            logger.LogError(e, "The run store could not be read; it was moved to {Moved} and an empty store started in its place.", moved);
            string what = $"The run store could not be read ({e.InnerException?.Message}), so it was moved to {moved} (nothing was deleted) " +
                          "and this portal started with a new one.";
            _notice = what + " Recording the run folders again…";
            store = new RunStore(paths.DataDir);
            Adoption = Task.Run(() => _notice = what + " " + AdoptRunFolders(store));
        }
        // Runs recorded as YAML before specs were stored as documents.
        store.MigrateLegacySpecs(yaml => Engine.Config.ConfigLoader.ParseTree(yaml, "a stored run's spec"), Engine.Config.RetiredKeys.Strip);
        return store;
    }

    /// <summary>Records every run folder under DATA/runs in the new store; says how many, and which could not be.</summary>
    private string AdoptRunFolders(RunStore store)
    {
        var folders = RunFolderReplay.RunFolders(store);
        var failed = new List<string>();
        int adopted = 0;
        foreach (string folder in folders)
        {
            try { if (RunFolderReplay.Adopt(store, folder).Adopted) adopted++; }
            catch (Exception e)
            {
                logger.LogError(e, "Run folder {Folder} could not be recorded again.", folder);
                failed.Add($"{Path.GetFileName(folder)} ({e.Message})");
            }
        }
        logger.LogWarning("{Adopted} of {Count} run folders were recorded again after the run store was moved aside.", adopted, folders.Count);
        return $"{adopted} of {folders.Count} run folders under {store.RunsDir} were recorded again from what they hold (spec, metrics, " +
               "checkpoints, results; names, tags and notes lived only in the old store)." +
               (failed.Count > 0 ? $" Not recorded: {string.Join("; ", failed)}; `scott-lab adopt FOLDER` tries one again." : "");
    }
}
