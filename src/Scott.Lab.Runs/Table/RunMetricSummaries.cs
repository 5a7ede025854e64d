using LiteDB;

namespace Scott.Lab.Runs.Table;

/// <summary>One metric of a run, summed up: its last value and step, lowest, highest and how many values it has.</summary>
public sealed class MetricSummary
{
    public string Name { get; set; } = "";
    public double Last { get; set; }
    public long LastStep { get; set; }
    public double Min { get; set; } = double.PositiveInfinity;
    public double Max { get; set; } = double.NegativeInfinity;
    public int Count { get; set; }

    public void Add(long step, double value)
    {
        if (!double.IsFinite(value)) return;
        (Last, LastStep, Count) = (value, step, Count + 1);
        Min = Math.Min(Min, value);
        Max = Math.Max(Max, value);
    }
}

/// <summary>A point of a sparkline: a step and the metric's value there.</summary>
public sealed class SparkPoint
{
    public long Step { get; set; }
    public double Value { get; set; }
}

/// <summary>
/// What the runs table shows of a run's metrics, kept in the store (collection <c>run_metric_summaries</c>, one small
/// document per run) and brought up to date from the rows logged since (<see cref="ThroughStep"/>).
/// </summary>
public sealed class RunMetricSummary
{
    /// <summary>The run id.</summary>
    public string Id { get; set; } = "";
    /// <summary>How often the run had started when this was made: a resume truncates and re-logs rows, so a new start means read again.</summary>
    public int Starts { get; set; }
    /// <summary>The run's step when this was made; with <see cref="Final"/>, nothing is read while it stays the same.</summary>
    public long RunStep { get; set; }
    /// <summary>The run was finished when this was made: no rows can have come since.</summary>
    public bool Final { get; set; }
    /// <summary>The last metrics row read (-1: none yet).</summary>
    public long ThroughStep { get; set; } = -1;
    public List<MetricSummary> Series { get; set; } = [];
    /// <summary>The sparkline's metric, thinned: one of every <see cref="SparkStride"/> values (<see cref="SparkSeen"/> so far).</summary>
    public List<SparkPoint> Spark { get; set; } = [];
    public int SparkStride { get; set; } = 1;
    public int SparkSeen { get; set; }
}

/// <summary>
/// Metric summaries for the runs table. A table of runs with 20,000 rows each cannot read every row at every refresh
/// (LiteDB needs about half a second per 20k rows), so each run's summary is kept in the store and extended with only
/// the rows logged after the last one it read (a range scan of the metrics' primary key); a finished run that has
/// not changed is not read at all. The comparison's digests (<see cref="Comparison.MetricDigests"/>) do not fit here:
/// they are downsampled (an exact lowest value can be dropped) and are rebuilt from every row while a run trains.
/// </summary>
public sealed class RunMetricSummaries(RunStore store)
{
    public const string CollectionName = "run_metric_summaries";
    /// <summary>The metric the sparkline draws.</summary>
    public const string SparkMetric = "loss";
    /// <summary>A sparkline is ~100 px wide: more points than this cannot be seen.</summary>
    public const int SparkPoints = 48;

    private readonly ILiteCollection<RunMetricSummary> _summaries = store.Database.GetCollection<RunMetricSummary>(CollectionName);

    /// <summary>The summaries of <paramref name="runs"/>, by run id, each brought up to date first.</summary>
    public Dictionary<string, RunMetricSummary> For(IReadOnlyCollection<RunRecord> runs)
    {
        var stored = Stored(runs.Select(r => r.Id).ToList());
        var result = new Dictionary<string, RunMetricSummary>(StringComparer.Ordinal);
        foreach (var run in runs)
            result[run.Id] = Current(run, stored.GetValueOrDefault(run.Id));
        return result;
    }

    /// <summary>The summaries stored for these runs, as they are (nothing read from the rows): their series names for the filter.</summary>
    public Dictionary<string, RunMetricSummary> Stored(IReadOnlyCollection<string> runIds)
    {
        var wanted = runIds.ToHashSet(StringComparer.Ordinal);
        return _summaries.FindAll().Where(s => wanted.Contains(s.Id)).ToDictionary(s => s.Id, StringComparer.Ordinal);
    }

    /// <summary>The run's summary, brought up to date.</summary>
    public RunMetricSummary For(RunRecord run) => Current(run, _summaries.FindById(run.Id));

    private RunMetricSummary Current(RunRecord run, RunMetricSummary? summary)
    {
        int starts = run.History.Count(h => h.Status == RunStatus.Running);
        if (summary is not null && summary.Final && run.IsFinished && summary.Starts == starts && summary.RunStep == run.Step) return summary;
        if (summary is null || summary.Starts != starts) summary = new RunMetricSummary { Id = run.Id, Starts = starts };

        bool changed = summary.RunStep != run.Step || summary.Final != run.IsFinished || summary.ThroughStep < 0;
        foreach (var (step, values) in store.MetricRowsFrom(run.Id, summary.ThroughStep + 1))
        {
            summary.ThroughStep = step;
            changed = true;
            foreach (var (name, value) in values)
            {
                if (!value.IsNumber) continue;
                var series = summary.Series.Find(s => s.Name == name);
                if (series is null) summary.Series.Add(series = new MetricSummary { Name = name });
                series.Add(step, value.AsDouble);
                if (name == SparkMetric && double.IsFinite(value.AsDouble)) AddSparkPoint(summary, step, value.AsDouble);
            }
        }
        summary.RunStep = run.Step;
        summary.Final = run.IsFinished;
        if (changed) _summaries.Upsert(summary);
        return summary;
    }

    // Thinning by a doubling stride keeps at most 2 × SparkPoints points however long the run, and needs no other
    // rows (LTTB, as the comparisons use, would need them all again at each new row).
    private static void AddSparkPoint(RunMetricSummary summary, long step, double value)
    {
        if (summary.SparkSeen++ % summary.SparkStride != 0) return;
        summary.Spark.Add(new SparkPoint { Step = step, Value = value });
        if (summary.Spark.Count <= 2 * SparkPoints) return;
        summary.Spark = summary.Spark.Where((_, i) => i % 2 == 0).ToList();
        summary.SparkStride *= 2;
    }

    /// <summary>Forgets a run's summary (it is read again from its rows next time).</summary>
    public bool Forget(string runId) => _summaries.Delete(runId);
}
