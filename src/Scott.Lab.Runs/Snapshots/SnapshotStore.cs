using System.Buffers.Text;
using System.Security.Cryptography;
using LiteDB;
using Scott.Lab.Runs.Comparison;

namespace Scott.Lab.Runs.Snapshots;

/// <summary>
/// Share snapshots, in the run store's LiteDB file: <c>snapshots</c> (one small document per snapshot),
/// <c>snapshot_series</c> (one document per run and metric) and the map PNGs in LiteDB file storage
/// (<c>snapshot_files</c>/<c>snapshot_chunks</c>). A snapshot's header is written last and deleted first, so a
/// half-written or half-revoked snapshot is never served.
/// </summary>
public sealed class SnapshotStore
{
    /// <summary>The largest document this store writes (the rule: no document over 1 MB).</summary>
    public const int MaxDocumentBytes = 1024 * 1024;
    private const int TokenBytes = 16; // 128 bits
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<SnapshotRecord> _snapshots;
    private readonly ILiteCollection<SnapshotSeries> _series;
    private readonly ILiteStorage<string> _files;

    public SnapshotStore(RunStore store)
    {
        _db = store.Database;
        _snapshots = _db.GetCollection<SnapshotRecord>("snapshots");
        _series = _db.GetCollection<SnapshotSeries>("snapshot_series");
        _files = _db.GetStorage<string>("snapshot_files", "snapshot_chunks");
        _series.EnsureIndex(s => s.Token);
    }

    /// <summary>An unguessable token: 128 bits from the OS's CSPRNG, base64url without padding (22 characters).</summary>
    public static string NewToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(TokenBytes));

    /// <summary>True for strings shaped like a token (so that junk never reaches a query).</summary>
    public static bool IsToken(string? token) =>
        token is { Length: 22 } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>Freezes the runs' data, the view, the map PNGs and the accuracy curves under a new token.</summary>
    public SnapshotRecord Create(string title, CompareView view, IReadOnlyList<RunData> runs, IReadOnlyList<FrozenMap> maps, IEnumerable<string> notes,
        IReadOnlyList<SnapshotCurve>? curves = null)
    {
        string token = NewToken();
        var record = new SnapshotRecord
        {
            Id = token,
            Title = string.IsNullOrWhiteSpace(title) ? $"Comparison of {runs.Count} runs" : title.Trim(),
            CreatedUtc = DateTime.UtcNow,
            Query = view.ToQuery(),
            Runs = runs.Select(r => r.Run).ToList(),
            Evaluations = runs.SelectMany(r => r.Evaluations).ToList(),
            Notes = notes.ToList(),
            Curves = curves?.ToList() ?? [],
        };
        var series = runs.SelectMany(r => r.Series.Select(s => new SnapshotSeries
        {
            Id = $"{token}/{r.Run.Id}/{s.Name}", Token = token, RunId = r.Run.Id, Name = s.Name,
            Steps = s.Steps, Values = s.Values, Wall = s.Wall, RawCount = s.RawCount,
        })).ToList();
        record.SeriesCount = series.Count;
        foreach (var s in series) CheckSize(_db.Mapper.ToDocument(s), $"the series '{s.Name}' of run {s.RunId}", "fewer points per curve (ComparisonLoader.MaxPoints)");
        try
        {
            _series.InsertBulk(series);
            foreach (var map in maps)
            {
                string fileId = $"{token}/{map.RunId}/{map.Kind}/{map.Image}";
                using var png = new MemoryStream(map.Png);
                _files.Upload(fileId, $"{map.Kind}-{map.Image}.png", png);
                record.Maps.Add(new SnapshotMap { RunId = map.RunId, Image = map.Image, Kind = map.Kind, FileId = fileId, Bytes = map.Png.Length });
            }
            CheckSize(_db.Mapper.ToDocument(record), "the snapshot's runs, evaluations, accuracy curves and map list", "share fewer runs or images");
            _snapshots.Insert(record);
            return record;
        }
        catch
        {
            DeleteContent(token); // nothing half-written stays behind
            throw;
        }
    }

    /// <summary>
    /// The snapshot whose token is exactly <paramref name="token"/>, or null. LiteDB compares strings with the
    /// database's collation, which ignores case by default, so a lookup by id alone would also match the token with
    /// its letters' case changed (about 111 bits of entropy instead of 128): the id found must equal the token ordinally.
    /// </summary>
    public SnapshotRecord? Get(string token) =>
        IsToken(token) && _snapshots.FindById(token) is { } record && string.Equals(record.Id, token, StringComparison.Ordinal)
            ? record
            : null;

    /// <summary>Every snapshot, newest first (without loading their series).</summary>
    public IReadOnlyList<SnapshotRecord> List() => _snapshots.FindAll().OrderByDescending(s => s.CreatedUtc).ToList();

    /// <summary>Deletes a snapshot and everything it froze; its link then answers 404. False when there was none.</summary>
    public bool Revoke(string token)
    {
        // Get matches the token case-sensitively; the delete then uses the stored id.
        if (Get(token) is not { } record || !_snapshots.Delete(record.Id)) return false;
        DeleteContent(record.Id);
        return true;
    }

    /// <summary>The frozen runs in the order they were shared, as a comparison reads them.</summary>
    public List<RunData> Load(SnapshotRecord snapshot)
    {
        var series = _series.Find(s => s.Token == snapshot.Id).Where(s => string.Equals(s.Token, snapshot.Id, StringComparison.Ordinal)).ToList();
        return snapshot.Runs.Select(run => new RunData
        {
            Run = run,
            Evaluations = snapshot.Evaluations.Where(e => e.RunId == run.Id).ToList(),
            Series = series.Where(s => s.RunId == run.Id).OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => new MetricSeries
            {
                Name = s.Name, Steps = s.Steps, Values = s.Values, Wall = s.Wall, RawCount = s.RawCount,
            }).ToList(),
        }).ToList();
    }

    /// <summary>A frozen map PNG, or null when the snapshot has none for (run, kind, image).</summary>
    public byte[]? MapPng(SnapshotRecord snapshot, string runId, string kind, string image)
    {
        var map = snapshot.Maps.FirstOrDefault(m => m.RunId == runId && m.Kind == kind && m.Image == image);
        if (map is null || _files.FindById(map.FileId) is null) return null;
        using var buffer = new MemoryStream();
        _files.Download(map.FileId, buffer);
        return buffer.ToArray();
    }

    private void DeleteContent(string token)
    {
        // The queries ignore case (LiteDB's collation); only what belongs to exactly this token is deleted.
        foreach (var series in _series.Find(s => s.Token == token).Where(s => string.Equals(s.Token, token, StringComparison.Ordinal)).ToList())
            _series.Delete(series.Id);
        foreach (var file in _files.Find(f => f.Id.StartsWith(token + "/")).Where(f => f.Id.StartsWith(token + "/", StringComparison.Ordinal)).ToList())
            _files.Delete(file.Id);
    }

    private static void CheckSize(BsonDocument document, string what, string fix)
    {
        int bytes = BsonSerializer.Serialize(document).Length;
        if (bytes > MaxDocumentBytes)
            throw new SnapshotException($"The snapshot cannot be stored: {what} would take {bytes / 1024} KB, over the {MaxDocumentBytes / 1024} KB a document may have. Fix: {fix}.");
    }
}
