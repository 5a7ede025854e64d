using LiteDB;

namespace Scott.Lab.Runs;

/// <summary>
/// The history of every run, in one LiteDB file under the data folder (<c>DATA/scott-lab.db</c>). The portal, its
/// worker processes and the CLI all write to it, so it opens the file in LiteDB's <c>shared</c> mode: each operation
/// takes a machine-wide lock and the file is never held open between operations. Read-modify-write of a run happens
/// in one transaction (<see cref="Update"/>), so a worker's progress and the portal's cancel cannot overwrite each other.
/// </summary>
public sealed partial class RunStore : IDisposable
{
    public const string FileName = "scott-lab.db";
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<RunRecord> _runs;
    private readonly ILiteCollection<MetricRow> _metrics;
    private readonly ILiteCollection<EvaluationRecord> _evaluations;
    private readonly ILiteCollection<ArtifactRecord> _artifacts;
    private readonly ILiteCollection<ResourceSample> _resources;

    public RunStore(string dataDir)
    {
        DataDir = Path.GetFullPath(dataDir);
        Directory.CreateDirectory(DataDir);
        DatabaseFile = Path.Combine(DataDir, FileName);
        var mapper = new BsonMapper { EnumAsInteger = false, EmptyStringToNull = false, TrimWhitespace = false };
        mapper.Entity<RunRecord>().Ignore(r => r.IsFinished).Ignore(r => r.CanResume);
        mapper.Entity<EvaluationProgress>().Ignore(p => p.IsActive);
        SpecDocuments.Register(mapper);
        RegisterSweepTypes(mapper);
        if (NotALiteDbFile(DatabaseFile) is not null)
        {
            // A store that another process is creating this instant has its first page half written: look again.
            Thread.Sleep(TimeSpan.FromSeconds(1));
            if (NotALiteDbFile(DatabaseFile) is { } problem) throw new RunStoreUnreadableException(DatabaseFile, problem);
        }
        // AutoRebuild: a file that LiteDB itself found damaged (and marked so) is rebuilt from its readable pages on
        // the next open, with a backup of the damaged file beside it.
        _db = new LiteDatabase(new ConnectionString { Filename = DatabaseFile, Connection = ConnectionType.Shared, AutoRebuild = true }, mapper);
        _runs = _db.GetCollection<RunRecord>("runs");
        _metrics = _db.GetCollection<MetricRow>("metrics");
        _evaluations = _db.GetCollection<EvaluationRecord>("evaluations");
        _artifacts = _db.GetCollection<ArtifactRecord>("artifacts");
        _resources = _db.GetCollection<ResourceSample>("resources");
        _sweeps = _db.GetCollection<Sweeps.SweepRecord>("sweeps");
        try { EnsureIndexes(); } // the first operations that read the file
        catch (Exception e) when (IsUnreadableContent(e))
        {
            throw new RunStoreUnreadableException(DatabaseFile, e);
        }
    }

    private void EnsureIndexes()
    {
        _runs.EnsureIndex(r => r.Status);
        _runs.EnsureIndex(r => r.Directory);
        _metrics.EnsureIndex(m => m.RunId);
        _evaluations.EnsureIndex(e => e.RunId);
        _artifacts.EnsureIndex(a => a.RunId);
        _runs.EnsureIndex(r => r.SweepId);
        _resources.EnsureIndex(r => r.RunId);
    }

    private const int LiteDbPageSize = 8192;
    private const int LiteDbSignatureOffset = 32; // LiteDB 5's HeaderPage.P_HEADER_INFO
    private static readonly byte[] LiteDbSignature = "** This is a LiteDB file **"u8.ToArray(); // HeaderPage.HEADER_INFO

    /// <summary>
    /// Why a store file is not a LiteDB 5 file, or null when it looks like one (or is missing or empty: a new store).
    /// Checked before LiteDB opens it because LiteDB crops a file that is not a whole number of pages, and starts one
    /// shorter than a page afresh: a torn or foreign file would be changed before any error was raised.
    /// </summary>
    private static Exception? NotALiteDbFile(string file)
    {
        var info = new FileInfo(file);
        if (!info.Exists || info.Length == 0) return null;
        if (info.Length % LiteDbPageSize != 0)
            return new InvalidDataException($"its {info.Length:N0} bytes are not a whole number of LiteDB's {LiteDbPageSize:N0}-byte pages");
        var head = new byte[LiteDbSignatureOffset + LiteDbSignature.Length];
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            stream.ReadExactly(head);
        return head.AsSpan(LiteDbSignatureOffset).SequenceEqual(LiteDbSignature) ? null
            : new InvalidDataException("its first page lacks LiteDB's header signature");
    }

    /// <summary>
    /// Whether opening failed on the file's content (garbage, a torn header, another program's file) rather than on
    /// access to it: a file that cannot be read or is locked is not the kind to move aside.
    /// </summary>
    private static bool IsUnreadableContent(Exception e) => e switch
    {
        IOException or UnauthorizedAccessException or OutOfMemoryException => false,
        LiteException lite => lite.ErrorCode is not (LiteException.LOCK_TIMEOUT or LiteException.ALREADY_OPEN_DATAFILE
            or LiteException.DATABASE_SHUTDOWN or LiteException.FILE_NOT_FOUND or LiteException.ENGINE_DISPOSED),
        _ => true, // LiteDB reads a garbage header into out-of-range dates, bad casts and indexes
    };

    /// <summary>
    /// Renames an unreadable store file (and LiteDB's log file beside it) to <c>scott-lab.db.unreadable-UTC</c>,
    /// deleting nothing, so that a new store can start in its place. Returns the new path of the store file.
    /// </summary>
    public static string MoveAside(string dataDir, DateTime nowUtc)
    {
        string file = Path.Combine(Path.GetFullPath(dataDir), FileName);
        string moved = $"{file}.unreadable-{nowUtc:yyyyMMdd-HHmmss}";
        for (int n = 2; File.Exists(moved); n++) moved = $"{file}.unreadable-{nowUtc:yyyyMMdd-HHmmss}-{n}";
        File.Move(file, moved);
        string log = Path.ChangeExtension(file, null) + "-log.db"; // LiteDB's write-ahead log: scott-lab-log.db
        if (File.Exists(log)) File.Move(log, moved + "-log");
        return moved;
    }

    public string DataDir { get; }
    public string DatabaseFile { get; }
    /// <summary>Where run folders go by default: <c>DATA/runs/&lt;id&gt;</c>.</summary>
    public string RunsDir => Path.Combine(DataDir, "runs");

    /// <summary>A new, sortable run id: the second it was made plus 32 random bits (30 launches in one second
    /// collided once with 16 bits; <see cref="Create"/> also retries a duplicate).</summary>
    public static string NewRunId() => $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Whether <paramref name="name"/> has the form <see cref="NewRunId"/> gives (e.g. a run folder's name).</summary>
    public static bool IsRunIdForm(string name) => RunIdForm().IsMatch(name);

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{8}-\d{6}-[0-9a-f]{8}$")]
    private static partial System.Text.RegularExpressions.Regex RunIdForm();

    /// <summary>Where <see cref="Create"/> draws ids; replaced by tests to force a collision.</summary>
    internal Func<string> IdSource { get; set; } = NewRunId;

    /// <summary>Stores a new run; fills in its id, folder and times when missing, and records its first status.</summary>
    public RunRecord Create(RunRecord run)
    {
        bool idGiven = !string.IsNullOrEmpty(run.Id), directoryGiven = !string.IsNullOrEmpty(run.Directory), nameGiven = !string.IsNullOrEmpty(run.Name);
        var now = DateTime.UtcNow;
        if (run.CreatedUtc == default) run.CreatedUtc = now;
        run.UpdatedUtc = now;
        if (run.History.Count == 0) run.History.Add(new StatusChange { Status = run.Status, AtUtc = now, Message = "created" });
        for (int attempt = 0; ; attempt++)
        {
            if (!idGiven) run.Id = IdSource();
            run.Directory = directoryGiven ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(run.Directory)) : Path.Combine(RunsDir, run.Id);
            if (!nameGiven) run.Name = run.Id;
            RunLimits.Check(run);
            try
            {
                _runs.Insert(run);
                return run;
            }
            catch (LiteException e) when (e.ErrorCode == LiteException.INDEX_DUPLICATE_KEY && !idGiven && attempt < 8)
            {
                // A generated id that is already taken: draw another (a given id is the caller's to fix).
            }
        }
    }

    public RunRecord? Get(string id) => _runs.FindById(id);

    /// <summary>
    /// The run whose folder is <paramref name="directory"/>, or null when this store has none there. A folder that was
    /// deleted and trained into again has a record per run; the newest is the one whose files are there now.
    /// </summary>
    public RunRecord? FindByDirectory(string directory)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        // Folders are stored as full paths (Create makes them so), so the index finds them; a folder written another
        // way (a relative path, a trailing separator) is still found by the scan.
        if (_runs.Find(r => r.Directory == full).MaxBy(r => r.CreatedUtc) is { } indexed) return indexed;
        return List(new RunQuery(Limit: int.MaxValue)).Where(r =>
            r.Directory.Length > 0 && string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(r.Directory)), full, StringComparison.Ordinal))
            .MaxBy(r => r.CreatedUtc);
    }

    /// <summary>
    /// Runs recorded before the spec became a document kept it as YAML text; <paramref name="parseYaml"/> (the
    /// engine's config reader) turns each into its tree once; <paramref name="upgrade"/> (the engine's retired-key
    /// remover) rewrites documents that name keys since removed. Returns how many runs were migrated.
    /// </summary>
    public int MigrateLegacySpecs(Func<string, System.Text.Json.Nodes.JsonObject> parseYaml, Func<System.Text.Json.Nodes.JsonObject, bool>? upgrade = null)
    {
        int migrated = 0;
        foreach (var run in _runs.FindAll().ToList())
        {
            var tree = run.Spec;
            bool changed = false;
            if (tree is null)
            {
                if (string.IsNullOrWhiteSpace(run.LegacySpecYaml)) continue;
                try { tree = parseYaml(run.LegacySpecYaml); }
                catch (Exception) { continue; } // unreadable: left as it is, and the run page says so
                changed = true;
            }
            // Documents that name keys since retired (upgrade says whether it changed the tree) are rewritten once.
            if (upgrade?.Invoke(tree) == true) changed = true;
            if (!changed) continue;
            Update(run.Id, r => { r.Spec = tree; r.LegacySpecYaml = null; });
            migrated++;
        }
        return migrated;
    }

    /// <summary>Runs, newest first, filtered by a free-text search (id, name, plugins, tags, notes), a status and a tag.</summary>
    public IReadOnlyList<RunRecord> List(RunQuery? query = null)
    {
        query ??= new RunQuery();
        IEnumerable<RunRecord> runs = query.Status is { } status ? _runs.Find(r => r.Status == status) : _runs.FindAll();
        if (!string.IsNullOrWhiteSpace(query.Tag)) runs = runs.Where(r => r.Tags.Contains(query.Tag, StringComparer.OrdinalIgnoreCase));
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            string s = query.Search.Trim();
            runs = runs.Where(r => new[] { r.Id, r.Name, r.Dataset, r.Tokenizer, r.Objective, r.Notes ?? "", string.Join(' ', r.Tags) }
                .Any(field => field.Contains(s, StringComparison.OrdinalIgnoreCase)));
        }
        return runs.OrderByDescending(r => r.CreatedUtc).Take(query.Limit).ToList();
    }

    /// <summary>Changes a run in one transaction; returns the updated run, or null when there is no such run.</summary>
    public RunRecord? Update(string id, Action<RunRecord> change) => TryUpdate(id, run => { change(run); return true; });

    /// <summary>
    /// Changes a run in one transaction when <paramref name="change"/> returns true; when it returns false nothing is
    /// written. The transaction holds the store's machine-wide lock, so a check and the change it allows are atomic
    /// across processes (a worker claiming its run, the portal checking that a run is still Queued).
    /// Returns the updated run, or null when there is no such run or nothing was changed.
    /// Name, tags and notes over <see cref="RunLimits"/> throw <see cref="ArgumentException"/>.
    /// </summary>
    public RunRecord? TryUpdate(string id, Func<RunRecord, bool> change)
    {
        if (!_db.BeginTrans()) throw new InvalidOperationException("RunStore: a transaction is already open on this thread.");
        try
        {
            var run = _runs.FindById(id);
            if (run is null) { _db.Rollback(); return null; }
            var before = run.Status;
            var (name, tags, notes) = (run.Name, string.Join('\n', run.Tags), run.Notes);
            if (!change(run)) { _db.Rollback(); return null; }
            if (run.Name != name || string.Join('\n', run.Tags) != tags || run.Notes != notes) RunLimits.Check(run);
            run.UpdatedUtc = DateTime.UtcNow;
            if (run.Status != before && (run.History.Count == 0 || run.History[^1].Status != run.Status))
                run.History.Add(new StatusChange { Status = run.Status, AtUtc = run.UpdatedUtc });
            _runs.Update(run);
            _db.Commit();
            return run;
        }
        catch
        {
            _db.Rollback();
            throw;
        }
    }

    /// <summary>Moves a run to <paramref name="status"/> with a message in its history.</summary>
    public RunRecord? SetStatus(string id, RunStatus status, string? message = null, string? error = null) => Update(id, run =>
    {
        run.Status = status;
        run.History.Add(new StatusChange { Status = status, AtUtc = DateTime.UtcNow, Message = message });
        if (error is not null) run.Error = error;
        if (status != RunStatus.Running) WorkerIdentity.Clear(run);
    });

    /// <summary>Deletes a run's record, metrics, evaluations and artifact entries (not its folder).</summary>
    public bool Delete(string id)
    {
        _metrics.DeleteMany(m => m.RunId == id);
        _evaluations.DeleteMany(e => e.RunId == id);
        _artifacts.DeleteMany(a => a.RunId == id);
        _resources.DeleteMany(r => r.RunId == id);
        _db.GetCollection(Comparison.MetricDigests.CollectionName).DeleteMany(Query.EQ("RunId", id));
        _db.GetCollection(Table.RunMetricSummaries.CollectionName).Delete(id);
        return _runs.Delete(id);
    }

    // ---- metrics -------------------------------------------------------------------------------------------

    /// <summary>Records one metrics row; logging the same step again (a resumed run) replaces it.</summary>
    public void AppendMetrics(string runId, long step, IReadOnlyDictionary<string, double> values)
    {
        var row = new MetricRow { Id = MetricId(runId, step), RunId = runId, Step = step, Values = new Dictionary<string, double>(values) };
        _metrics.Upsert(row);
    }

    /// <summary>Drops rows at or after <paramref name="step"/>: a resumed run logs those steps again.</summary>
    public int TruncateMetricsFrom(string runId, long step) => _metrics.DeleteMany(m => m.RunId == runId && m.Step >= step);

    /// <summary>The run's metrics rows in step order, optionally only the named series (and only steps after <paramref name="afterStep"/>).</summary>
    public IReadOnlyList<MetricRow> Metrics(string runId, IReadOnlyCollection<string>? names = null, long afterStep = -1)
    {
        var rows = _metrics.Find(m => m.RunId == runId && m.Step > afterStep).OrderBy(m => m.Step).ToList();
        if (names is { Count: > 0 })
            foreach (var row in rows)
                row.Values = row.Values.Where(kv => names.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        return rows;
    }

    /// <summary>Series names a run has logged.</summary>
    public IReadOnlyList<string> MetricNames(string runId) =>
        _metrics.Find(m => m.RunId == runId).SelectMany(m => m.Values.Keys).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();

    private static string MetricId(string runId, long step) => $"{runId}/{step:D12}";

    // ---- evaluations and artifacts -------------------------------------------------------------------------

    public EvaluationRecord AddEvaluation(EvaluationRecord evaluation)
    {
        if (string.IsNullOrEmpty(evaluation.Id)) evaluation.Id = ObjectId.NewObjectId().ToString();
        if (evaluation.CreatedUtc == default) evaluation.CreatedUtc = DateTime.UtcNow;
        _evaluations.Upsert(evaluation);
        return evaluation;
    }

    public IReadOnlyList<EvaluationRecord> Evaluations(string runId) =>
        _evaluations.Find(e => e.RunId == runId).OrderBy(e => e.CreatedUtc).ToList();

    /// <summary>Records a file; the same (run, path) is recorded once and updated.</summary>
    public ArtifactRecord AddArtifact(ArtifactRecord artifact)
    {
        artifact.Id = $"{artifact.RunId}:{artifact.Path}";
        if (artifact.CreatedUtc == default) artifact.CreatedUtc = DateTime.UtcNow;
        _artifacts.Upsert(artifact);
        return artifact;
    }

    public IReadOnlyList<ArtifactRecord> Artifacts(string runId) =>
        _artifacts.Find(a => a.RunId == runId).OrderBy(a => a.CreatedUtc).ToList();

    // ---- resource samples ----------------------------------------------------------------------------------

    /// <summary>Records one sample of a run's process; the same (role, pid, time) is stored once.</summary>
    public ResourceSample AddResourceSample(string runId, ResourceSample sample)
    {
        sample.RunId = runId;
        sample.AtUtc = DateTime.SpecifyKind(sample.AtUtc, DateTimeKind.Utc);
        sample.Id = ResourceSample.IdOf(runId, sample);
        _resources.Upsert(sample);
        return sample;
    }

    /// <summary>A run's resource samples in time order, only those after <paramref name="afterUtc"/> when given.</summary>
    public IReadOnlyList<ResourceSample> ResourceSamples(string runId, DateTime? afterUtc = null)
    {
        var after = afterUtc ?? DateTime.MinValue;
        return _resources.Find(r => r.RunId == runId && r.AtUtc > after).OrderBy(r => r.AtUtc).ToList();
    }

    /// <summary>Sets the run's evaluation progress unless a newer snapshot is there; returns the run when it changed.</summary>
    public RunRecord? SetEvaluationProgress(string runId, EvaluationProgress progress) =>
        TryUpdate(runId, run => ApplyEvaluationProgress(run, progress));

    /// <summary>
    /// Leaves the database file alone, on purpose. In shared mode LiteDB holds the file only while an operation runs
    /// and releases it when that operation ends, so an idle store has nothing to close. <c>LiteDatabase.Dispose</c>
    /// closes the engine without waiting for an operation in flight on another thread (a background query racing a
    /// portal shutdown): that operation then fails or leaves LiteDB's machine-wide lock held for good, and its
    /// half-done transaction is finalized later, which in LiteDB 5 throws on the finalizer thread and kills the
    /// process (litedb-org/LiteDB#2828, "discarded page must be writable"; fixed only in the 6.x prereleases, not
    /// served here). An operation still running when the store is disposed finishes normally and closes the file.
    /// </summary>
    public void Dispose() { }
}
