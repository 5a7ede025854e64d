using LiteDB;

namespace Scott.Lab.Runs.Comparison;

/// <summary>A run's downsampled metric as stored in <c>metric_digests</c>, stamped with the run's state when it was made.</summary>
public sealed class MetricDigest
{
    public string Id { get; set; } = "";
    public string RunId { get; set; } = "";
    public long RunStep { get; set; }
    public int RunHistoryCount { get; set; }
    public MetricSeries Series { get; set; } = new();
}

/// <summary>
/// Downsampled metrics kept in the store (collection <c>metric_digests</c>, one small document per run and series),
/// so that a comparison reads a few KB per curve instead of every metrics row: reading 20,000 rows costs LiteDB about
/// half a second per run, reading its digests a few milliseconds. Only finished runs are digested (a training run's
/// curves change with every row); a digest is stamped with the run's Step and the length of its status history, so
/// a run resumed since (which truncates and re-logs rows) is read again, while editing its tags or notes is not.
/// </summary>
public sealed class MetricDigests(RunStore store)
{
    public const string CollectionName = "metric_digests";
    private readonly ILiteCollection<MetricDigest> _digests = Collection(store);

    private static ILiteCollection<MetricDigest> Collection(RunStore store)
    {
        var collection = store.Database.GetCollection<MetricDigest>(CollectionName);
        collection.EnsureIndex(d => d.RunId);
        return collection;
    }

    /// <summary>The run's downsampled series: from its digests when they are current, else from its rows (and then stored).</summary>
    public List<MetricSeries> For(RunRecord run, int maxPoints = ComparisonLoader.MaxPoints)
    {
        if (!run.IsFinished) return ComparisonLoader.Downsample(store.MetricColumns(run.Id), maxPoints);
        var stored = _digests.Find(d => d.RunId == run.Id).ToList();
        if (stored.Count > 0 && stored.All(d => d.RunStep == run.Step && d.RunHistoryCount == run.History.Count && d.Series.Values.Length <= maxPoints))
            return stored.Select(d => d.Series).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

        var series = ComparisonLoader.Downsample(store.MetricColumns(run.Id), maxPoints);
        _digests.DeleteMany(d => d.RunId == run.Id);
        _digests.InsertBulk(series.Select(s => new MetricDigest
        {
            Id = $"{run.Id}/{s.Name}", RunId = run.Id, RunStep = run.Step, RunHistoryCount = run.History.Count, Series = s,
        }));
        return series;
    }

    /// <summary>Forgets a run's digests (its next comparison reads its rows again).</summary>
    public int Forget(string runId) => _digests.DeleteMany(d => d.RunId == runId);
}
