using Scott.Lab.Runs;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Features.Runs;

/// <summary>
/// Opens the portal's run store. A store file that is not a LiteDB database (torn, overwritten, another program's)
/// must not keep the portal from starting: it is renamed aside, deleting nothing, a new store starts in its place,
/// and every page says so (<see cref="Notice"/>) until the portal restarts.
/// </summary>
public sealed class RunStoreOpener(PortalPaths paths, ILogger<RunStoreOpener> logger)
{
    /// <summary>What happened to an unreadable store on start-up; null when it opened as it was.</summary>
    public string? Notice { get; private set; }

    public RunStore Open()
    {
        RunStore store;
        try { store = new RunStore(paths.DataDir); }
        catch (RunStoreUnreadableException e)
        {
            string moved = RunStore.MoveAside(paths.DataDir, DateTime.UtcNow);
            logger.LogError(e, "The run store could not be read; it was moved to {Moved} and an empty store started in its place.", moved);
            Notice = $"The run store could not be read ({e.InnerException?.Message}), so it was moved to {moved} and this portal " +
                     $"started with an empty one. Nothing was deleted: `scott-lab adopt --data-dir {paths.DataDir}` records the run " +
                     $"folders under {Path.Combine(paths.DataDir, "runs")} again (spec, metrics, checkpoints, results; not names, tags or notes).";
            store = new RunStore(paths.DataDir);
        }
        // Runs recorded as YAML before specs were stored as documents.
        store.MigrateLegacySpecs(yaml => Engine.Config.ConfigLoader.ParseTree(yaml, "a stored run's spec"), Engine.Config.RetiredKeys.Strip);
        return store;
    }
}
