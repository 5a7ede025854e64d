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
    /// All of a run's metric rows as columns, for comparisons. Walks the primary key range of the run (ids are
    /// <c>runId/step</c> with a 12-digit step, so the range is in step order) and reads raw BSON in one streaming
    /// pass (about two thirds of the time of <see cref="Metrics"/>, which maps every row and holds them all). Reading documents
    /// is still LiteDB's cost, which is why comparisons keep downsampled digests (<see cref="Comparison.MetricDigests"/>).
    /// </summary>
    public MetricColumns MetricColumns(string runId)
    {
        var raw = _db.GetCollection("metrics");
        var steps = new List<long>();
        var values = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var row in raw.Find(Query.Between("_id", MetricId(runId, 0), MetricId(runId, 999_999_999_999))))
        {
            // The store's collation ignores case: keep only this run's rows, whatever else the range holds.
            if (row["RunId"].AsString != runId) continue;
            int index = steps.Count;
            steps.Add(row["Step"].AsInt64);
            if (!row.TryGetValue("Values", out var bag) || !bag.IsDocument) continue;
            foreach (var (name, value) in bag.AsDocument)
            {
                if (!values.TryGetValue(name, out var column)) values[name] = column = [];
                while (column.Count < index) column.Add(double.NaN); // rows before this series' first value
                column.Add(value.IsNumber ? value.AsDouble : double.NaN);
            }
        }
        var columns = values.ToDictionary(kv => kv.Key, kv =>
        {
            while (kv.Value.Count < steps.Count) kv.Value.Add(double.NaN);
            return kv.Value.ToArray();
        }, StringComparer.Ordinal);
        return new MetricColumns { Steps = steps.ToArray(), Values = columns };
    }
}

public sealed partial class RunStore
{
    /// <summary>The open database, for the stores that keep their collections in the same file (<see cref="Snapshots.SnapshotStore"/>).</summary>
    internal LiteDatabase Database => _db;
}

public sealed partial class RunStore
{
    /// <summary>Records many metrics rows in one call (imports, benchmarks, tests); like <see cref="AppendMetrics"/>, a step logged again is replaced.</summary>
    public int AppendMetricRows(string runId, IEnumerable<(long Step, IReadOnlyDictionary<string, double> Values)> rows) =>
        _metrics.Upsert(rows.Select(r => new MetricRow { Id = MetricId(runId, r.Step), RunId = runId, Step = r.Step, Values = new Dictionary<string, double>(r.Values) }));
}
