using System.Text.Json.Nodes;
using LiteDB;
using Scott.Lab.Runs.Sweeps;

namespace Scott.Lab.Runs;

/// <summary>Sweeps: groups of runs queued together (<see cref="SweepRecord"/>); each run names its sweep in <see cref="RunRecord.SweepId"/> (indexed).</summary>
public sealed partial class RunStore
{
    private readonly ILiteCollection<SweepRecord> _sweeps;

    /// <summary>A sweep's parameter values are JSON arrays: kept as BSON arrays, the way the spec is kept.</summary>
    private static void RegisterSweepTypes(BsonMapper mapper)
    {
        mapper.RegisterType<JsonArray>(array => SpecDocuments.ToBson(array), bson => bson.IsArray ? (JsonArray)SpecDocuments.ToJson(bson)! : null!);
        mapper.Entity<SweepRecord>().Ignore(s => s.RunIds);
        mapper.Entity<SweepParameter>().Ignore(p => p.IsRange);
    }

    public static string NewSweepId() => $"sweep-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Stores a new sweep; fills in its id and time when missing.</summary>
    public SweepRecord CreateSweep(SweepRecord sweep)
    {
        if (string.IsNullOrEmpty(sweep.Id)) sweep.Id = NewSweepId();
        if (sweep.CreatedUtc == default) sweep.CreatedUtc = DateTime.UtcNow;
        _sweeps.Insert(sweep);
        return sweep;
    }

    public SweepRecord? GetSweep(string id) => _sweeps.FindById(id);

    /// <summary>Changes a sweep in one transaction (e.g. records the run each trial got).</summary>
    public SweepRecord? UpdateSweep(string id, Action<SweepRecord> change)
    {
        if (!_db.BeginTrans()) throw new InvalidOperationException("The run store is already in a transaction on this thread.");
        try
        {
            var sweep = _sweeps.FindById(id);
            if (sweep is null)
            {
                _db.Rollback();
                return null;
            }
            change(sweep);
            _sweeps.Update(sweep);
            _db.Commit();
            return sweep;
        }
        catch
        {
            _db.Rollback();
            throw;
        }
    }

    /// <summary>The newest sweeps first.</summary>
    public IReadOnlyList<SweepRecord> ListSweeps(int limit = 200) =>
        _sweeps.Query().OrderByDescending(s => s.CreatedUtc).Limit(limit).ToList();

    /// <summary>The runs that carry this sweep's id, oldest first (the order the trials were queued).</summary>
    public IReadOnlyList<RunRecord> RunsOfSweep(string sweepId) =>
        _runs.Find(r => r.SweepId == sweepId).OrderBy(r => r.CreatedUtc).ThenBy(r => r.QueuedUtc).ToList();
}
