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
    /// All of a run's metric rows as columns, for comparisons: through the RunId index, reading raw BSON rather than
    /// mapping each row to a <see cref="MetricRow"/> (a third faster). Reading documents is still LiteDB's cost
    /// (tens of µs a row), which is why comparisons keep downsampled digests (<see cref="Comparison.MetricDigests"/>).
    /// </summary>
    public MetricColumns MetricColumns(string runId)
    {
        var raw = _db.GetCollection("metrics");
        var rows = raw.Find(Query.EQ("RunId", runId)).OrderBy(r => r["Step"].AsInt64).ToList();
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

public sealed partial class RunStore
{
    /// <summary>Records many metrics rows in one call (imports, benchmarks, tests); like <see cref="AppendMetrics"/>, a step logged again is replaced.</summary>
    public int AppendMetricRows(string runId, IEnumerable<(long Step, IReadOnlyDictionary<string, double> Values)> rows) =>
        _metrics.Upsert(rows.Select(r => new MetricRow { Id = MetricId(runId, r.Step), RunId = runId, Step = r.Step, Values = new Dictionary<string, double>(r.Values) }));
}
