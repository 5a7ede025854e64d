namespace Scott.Lab.Web.Features.Plugins;

/// <summary>
/// Watches every plugin folder (subfolders included) and rescans the catalog shortly after files stop changing, so
/// that new plugin folders and DLLs appear without a restart. Events are debounced: a DLL or a zip being unpacked
/// arrives as many writes, and one scan after the last of them sees complete files.
/// </summary>
public sealed class PluginFolderWatcher(PortalPlugins plugins, ILogger<PluginFolderWatcher> logger) : IHostedService, IDisposable
{
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly object _gate = new();
    private readonly List<string> _polled = [];
    private Timer? _timer;
    private Timer? _poller;
    private bool _stopped;

    /// <summary>Quiet time after the last file event before the rescan.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Rescan period for folders that can't be watched (missing at start-up, or no inotify instance left).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The folders watched for file events.</summary>
    public IReadOnlyList<string> WatchedFolders { get { lock (_gate) return _watchers.Select(w => w.Path).ToList(); } }

    /// <summary>The folders rescanned every <see cref="PollInterval"/> instead.</summary>
    public IReadOnlyList<string> PolledFolders { get { lock (_gate) return _polled.ToList(); } }

    /// <summary>Raised after each rescan that the watcher ran, with the number of entries added (tests wait on it).</summary>
    public event Action<int>? Rescanned;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(plugins.UploadFolder);
        lock (_gate)
        {
            _timer = new Timer(_ => RescanNow(), null, Timeout.Infinite, Timeout.Infinite);
            foreach (var folder in plugins.Folders.Distinct(StringComparer.Ordinal))
            {
                if (!Directory.Exists(folder))
                {
                    logger.LogWarning("Plugin folder {Folder} does not exist: it is polled every {Seconds} s until it does. Create it, or fix ScottLab:PluginFolders.", folder, PollInterval.TotalSeconds);
                    _polled.Add(folder);
                    continue;
                }
                var watcher = new FileSystemWatcher(folder)
                {
                    IncludeSubdirectories = true,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
                };
                watcher.Created += OnEvent;
                watcher.Changed += OnEvent;
                watcher.Deleted += OnEvent;
                watcher.Renamed += OnEvent;
                watcher.Error += OnError;
                try
                {
                    watcher.EnableRaisingEvents = true;
                    _watchers.Add(watcher);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
                {
                    // E.g. the inotify instance limit (fs.inotify.max_user_instances) is reached: poll instead of failing the portal.
                    logger.LogWarning(e, "Cannot watch plugin folder {Folder}; polling it every {Seconds} s instead.", folder, PollInterval.TotalSeconds);
                    watcher.Dispose();
                    _polled.Add(folder);
                }
            }
            if (_polled.Count > 0) _poller = new Timer(_ => RescanNow(), null, PollInterval, PollInterval);
        }
        // Files that arrived between the catalog's first scan and now.
        Poke();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            foreach (var watcher in _watchers) watcher.Dispose();
            _watchers.Clear();
            _timer?.Dispose();
            _timer = null;
            _poller?.Dispose();
            _poller = null;
        }
    }

    private void OnEvent(object sender, FileSystemEventArgs e) => Poke();

    private void OnError(object sender, ErrorEventArgs e)
    {
        // An overflowed event buffer loses events, not files: a rescan still sees everything.
        logger.LogWarning(e.GetException(), "Plugin folder watcher error; rescanning.");
        Poke();
    }

    /// <summary>(Re)starts the debounce timer.</summary>
    private void Poke()
    {
        lock (_gate)
            if (!_stopped) _timer?.Change(Debounce, Timeout.InfiniteTimeSpan);
    }

    private void RescanNow()
    {
        try
        {
            int added = plugins.Rescan();
            if (added > 0) logger.LogInformation("Plugin folders changed: {Added} new plugin entries.", added);
            Rescanned?.Invoke(added);
        }
        catch (Exception e)
        {
            // A scan never takes the portal down: broken files are Failed entries; this is for the unexpected.
            logger.LogError(e, "Rescanning the plugin folders failed.");
        }
    }
}
