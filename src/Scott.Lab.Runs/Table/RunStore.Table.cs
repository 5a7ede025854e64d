using LiteDB;

namespace Scott.Lab.Runs;

public sealed partial class RunStore
{
    /// <summary>
    /// A run's metrics rows from <paramref name="fromStep"/> on, in step order, as (step, values): a range scan of
    /// the primary key (<c>runId/step</c>), so reading the few rows logged since the last look costs only those rows.
    /// </summary>
    public IEnumerable<(long Step, BsonDocument Values)> MetricRowsFrom(string runId, long fromStep)
    {
        var raw = _db.GetCollection("metrics");
        foreach (var row in raw.Find(Query.Between("_id", MetricId(runId, Math.Max(0, fromStep)), MetricId(runId, 999_999_999_999))))
        {
            // The store's collation ignores case: keep only this run's rows, whatever else the range holds.
            if (row["RunId"].AsString != runId) continue;
            yield return (row["Step"].AsInt64, row.TryGetValue("Values", out var bag) && bag.IsDocument ? bag.AsDocument : new BsonDocument());
        }
    }

    /// <summary>The evaluations of many runs at once (the runs table), by run id.</summary>
    public Dictionary<string, List<EvaluationRecord>> EvaluationsOf(IReadOnlyCollection<string> runIds)
    {
        var wanted = runIds.ToHashSet(StringComparer.Ordinal);
        return _evaluations.FindAll().Where(e => wanted.Contains(e.RunId))
            .GroupBy(e => e.RunId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
    }
}
