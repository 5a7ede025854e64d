namespace Scott.Lab.Runs.Comparison;

/// <summary>
/// One metric of one run, already downsampled (LTTB) to at most <see cref="ComparisonLoader.MaxPoints"/> points: the
/// steps, the values and the run's wall-clock seconds at each of those steps (NaN where the row had none).
/// </summary>
public sealed class MetricSeries
{
    public string Name { get; set; } = "";
    public long[] Steps { get; set; } = [];
    public double[] Values { get; set; } = [];
    public double[] Wall { get; set; } = [];
    /// <summary>How many finite points the series had before downsampling.</summary>
    public int RawCount { get; set; }
}

/// <summary>
/// Everything a comparison shows of one run: its record (spec, plugins, environment), its evaluations and its
/// downsampled metrics. This is also exactly what a share snapshot freezes, so a live view and a snapshot of the
/// same runs are built by the same code from the same kind of data.
/// </summary>
public sealed class RunData
{
    public RunRecord Run { get; set; } = new();
    public List<EvaluationRecord> Evaluations { get; set; } = [];
    public List<MetricSeries> Series { get; set; } = [];
}

/// <summary>Reads the runs of a comparison from the store and downsamples their metrics.</summary>
public static class ComparisonLoader
{
    /// <summary>Points kept per curve: a chart is at most ~1,000 pixels wide, so more cannot be seen.</summary>
    public const int MaxPoints = 1000;
    public const string WallSeconds = "wall_seconds";

    /// <summary>
    /// The runs found, in the order asked, and the ids that are not in the store. Finished runs' series come from
    /// their digests unless <paramref name="useDigests"/> is false (then every row is read, as for a first view).
    /// </summary>
    public static (List<RunData> Runs, List<string> Missing) Load(RunStore store, IEnumerable<string> runIds, int maxPoints = MaxPoints, bool useDigests = true)
    {
        var digests = useDigests ? new MetricDigests(store) : null;
        var found = new List<RunData>();
        var missing = new List<string>();
        foreach (string id in runIds)
        {
            if (store.Get(id) is not { } run) { missing.Add(id); continue; }
            found.Add(new RunData
            {
                Run = run,
                Evaluations = store.Evaluations(id).ToList(),
                Series = digests?.For(run, maxPoints) ?? Downsample(store.MetricColumns(id), maxPoints),
            });
        }
        return (found, missing);
    }

    /// <summary>Each metric's finite points, LTTB-downsampled in step space, with the wall time of the kept rows.</summary>
    public static List<MetricSeries> Downsample(MetricColumns columns, int maxPoints = MaxPoints)
    {
        var result = new List<MetricSeries>();
        columns.Values.TryGetValue(WallSeconds, out var wall);
        foreach (var (name, values) in columns.Values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            // Rows without this metric (NaN) or with a non-finite value cannot be drawn; the others can.
            var rows = new List<int>(values.Length);
            for (int i = 0; i < values.Length; i++) if (double.IsFinite(values[i])) rows.Add(i);
            var x = new double[rows.Count];
            var y = new double[rows.Count];
            for (int i = 0; i < rows.Count; i++) { x[i] = columns.Steps[rows[i]]; y[i] = values[rows[i]]; }
            int[] kept = Lttb.SelectIndices(x, y, Math.Max(3, maxPoints));
            result.Add(new MetricSeries
            {
                Name = name,
                RawCount = rows.Count,
                Steps = kept.Select(k => columns.Steps[rows[k]]).ToArray(),
                Values = kept.Select(k => y[k]).ToArray(),
                Wall = kept.Select(k => wall is null ? double.NaN : wall[rows[k]]).ToArray(),
            });
        }
        return result;
    }
}
