using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Reporting;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Features.Ingest;

/// <summary>
/// How the processes the portal starts report their runs (<see cref="PortalOptions.WorkerReporting"/>): over HTTP
/// to the ingest API (the portal's URL on the command line, a per-run token in the environment), or, in
/// <c>store</c> mode or when the portal has no address a worker could reach (the in-memory test server), by writing
/// the store themselves. Also replays the journal a worker left when it exited before the portal took everything.
/// </summary>
public sealed class WorkerReporting
{
    public const string Http = "http", Store = "store";

    private readonly PortalOptions _options;
    private readonly IServer _server;
    private readonly IConfiguration _configuration;
    private readonly IngestTokens _tokens;
    private readonly RunStore _store;
    private readonly ILogger<WorkerReporting> _logger;
    private int _fallbackLogged;

    public WorkerReporting(IOptions<PortalOptions> options, IServer server, IConfiguration configuration, IngestTokens tokens, RunStore store, ILogger<WorkerReporting> logger)
    {
        (_options, _server, _configuration, _tokens, _store, _logger) = (options.Value, server, configuration, tokens, store, logger);
        if (_options.WorkerReporting is not (Http or Store))
            throw new InvalidOperationException($"{PortalOptions.Section}:WorkerReporting: '{_options.WorkerReporting}' is not one of '{Http}' (workers report over HTTP, the default) or '{Store}' (workers write the store themselves).");
        if (_options.PublicUrl is { Length: > 0 } url && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            throw new InvalidOperationException($"{PortalOptions.Section}:PublicUrl: '{url}' is not an http(s) URL; give the address workers reach the portal at, e.g. http://lab-head:5080.");
    }

    /// <summary>The URL workers report to, or null when they write the store themselves (and why, logged once).</summary>
    public string? PortalUrl()
    {
        if (_options.WorkerReporting == Store) return null;
        if (!string.IsNullOrEmpty(_options.PublicUrl)) return _options.PublicUrl.TrimEnd('/');
        var addresses = _server.Features.Get<IServerAddressesFeature>();
        if (addresses is null)
        {
            if (Interlocked.Exchange(ref _fallbackLogged, 1) == 0)
                _logger.LogWarning("Workers write the run store themselves (WorkerReporting=store): this server has no network address a worker could report to (an in-memory test server). Set {Section}:PublicUrl to report over HTTP.", PortalOptions.Section);
            return null;
        }
        // Before the server has started (the queue is pumped at start-up) its addresses are still empty: the configured ones.
        var candidates = addresses.Addresses.Count > 0 ? addresses.Addresses
            : (_configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var address in candidates.OrderBy(a => a.StartsWith("https", StringComparison.OrdinalIgnoreCase) ? 1 : 0))
            if (Reachable(address) is { } url) return url;
        if (Interlocked.Exchange(ref _fallbackLogged, 1) == 0)
            _logger.LogWarning("Workers write the run store themselves: the portal's address is not known yet ({Addresses}). Set {Section}:PublicUrl to report over HTTP.",
                string.Join(", ", candidates), PortalOptions.Section);
        return null;
    }

    /// <summary>0.0.0.0, [::], * and + listen everywhere: a worker on this machine reaches them at 127.0.0.1.</summary>
    private static string? Reachable(string address)
    {
        string normalized = address.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0");
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || uri.Port == 0) return null;
        string host = uri.Host is "0.0.0.0" or "[::]" or "::" ? "127.0.0.1" : uri.Host;
        return $"{uri.Scheme}://{host}:{uri.Port}";
    }

    /// <summary>
    /// What a process started for <paramref name="run"/> needs to report over HTTP: <c>--portal URL</c> (and for an
    /// eval, <c>--run-id</c>) and the token in <c>SCOTT_LAB_TOKEN</c>. Issues a new token (the previous one of that
    /// scope stops working). Empty in store mode.
    /// </summary>
    public (IReadOnlyList<string> Args, IReadOnlyDictionary<string, string> Environment) For(RunRecord run, IngestScope scope)
    {
        if (PortalUrl() is not { } url) return ([], new Dictionary<string, string>());
        string token = _tokens.Issue(run.Id, scope) ?? throw new InvalidOperationException($"run {run.Id} is gone from the store");
        var args = new List<string> { "--portal", url };
        if (scope == IngestScope.Evaluation) args.AddRange(["--run-id", run.Id]);
        else args.AddRange(["--flush-seconds", Math.Max(0, _options.WorkerFlushSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        return (args, new Dictionary<string, string> { [Cli.Recording.PortalClient.TokenVariable] = token });
    }

    /// <summary>
    /// Applies what the worker's journal (RUN/report-journal.jsonl) holds past the run's stored sequence: a worker
    /// that exited (or a portal that was down) before every event arrived. Call before deciding a gone worker's run
    /// is Failed or Interrupted. Returns the number of events applied.
    /// </summary>
    public int CatchUp(string runId)
    {
        try
        {
            var run = _store.Get(runId);
            if (run is null || string.IsNullOrEmpty(run.Directory)) return 0;
            string journal = Path.Combine(run.Directory, ReportJournal.FileName);
            if (!File.Exists(journal)) return 0;
            var pending = ReportJournal.ReadAll(journal).Where(e => e.Seq > run.ReportedSequence).ToList();
            if (pending.Count == 0) return 0;
            _store.ApplyEvents(runId, pending);
            _logger.LogInformation("Run {RunId}: applied {Count} events its worker left in {Journal}", runId, pending.Count, journal);
            return pending.Count;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LiteDB.LiteException)
        {
            _logger.LogWarning(e, "Run {RunId}: could not replay its worker's journal", runId);
            return 0;
        }
    }
}
