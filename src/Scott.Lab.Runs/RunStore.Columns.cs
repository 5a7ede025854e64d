using LiteDB;

namespace Scott.Lab.Runs;

/// <summary>A run's metrics as columns: the steps in order and, per series, its value at each step (NaN where a row lacks it).</summary>
public sealed class MetricColumns
{
    public long[] Steps { get; init; } = [];
    public Dictionary<string, double[]> Values { get; init; } = [];
}

public sealed partial class RunStore
{
    /// <summary>
    /// All of a run's metric rows as columns, for comparisons. Faster than <see cref="Metrics"/> on long runs: it walks
    /// the primary key range <c>runId/…</c> (the ids are <c>runId/step</c> with a zero-padded step, so the range is
    /// already in step order) and reads raw BSON instead of mapping each row to a <see cref="MetricRow"/>.
    /// </summary>
    public MetricColumns MetricColumns(string runId)
    {
        var raw = _db.GetCollection("metrics");
        // '/' + 1 is '0': every id of this run and no other lies in [runId + "/", runId + "0").
        var rows = raw.Find(Query.And(Query.GTE("_id", runId + "/"), Query.LT("_id", runId + "0"))).ToList();
        var steps = new long[rows.Count];
        var values = new Dictionary<string, double[]>(StringComparer.Ordinal);
        for (int i = 0; i < rows.Count; i++)
        {
            steps[i] = rows[i]["Step"].AsInt64;
            if (!rows[i].TryGetValue("Values", out var bag) || !bag.IsDocument) continue;
            foreach (var (name, value) in bag.AsDocument)
            {
                if (!values.TryGetValue(name, out var column))
                {
                    column = new double[rows.Count];
                    Array.Fill(column, double.NaN);
                    values[name] = column;
                }
                column[i] = value.IsNumber ? value.AsDouble : double.NaN;
            }
        }
        return new MetricColumns { Steps = steps, Values = values };
    }
}

public sealed partial class RunStore
{
    /// <summary>The open database, for the stores that keep their collections in the same file (<see cref="Snapshots.SnapshotStore"/>).</summary>
    internal LiteDatabase Database => _db;
}
