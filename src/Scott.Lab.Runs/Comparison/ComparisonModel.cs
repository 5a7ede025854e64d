namespace Scott.Lab.Runs.Comparison;

/// <summary>A comparison, ready to draw or export: built by <see cref="ComparisonBuilder"/> from <see cref="RunData"/> and a <see cref="CompareView"/>.</summary>
public sealed class Comparison
{
    /// <summary>The view it was built for, with the default metrics filled in.</summary>
    public CompareView View { get; init; } = new();
    public List<ComparedRun> Runs { get; init; } = [];
    /// <summary>Run ids of the view that are not in the store (deleted, or a wrong link).</summary>
    public List<string> Missing { get; init; } = [];
    /// <summary>Every metric any of the runs logged: what the metric picker offers.</summary>
    public List<string> AvailableMetrics { get; init; } = [];
    public List<MetricChartData> Charts { get; init; } = [];
    public List<DiffRow> Diff { get; init; } = [];
    public List<EvalRow> Evaluations { get; init; } = [];
    /// <summary>What the parallel-coordinates metric may be: each series (its last value) and eval:&lt;protocol&gt; (top-1).</summary>
    public List<string> ParallelMetricChoices { get; init; } = [];
    /// <summary>Hyperparameters that differ against the chosen metric; null with fewer than 3 runs.</summary>
    public ParallelCoordinates? Parallel { get; init; }
    /// <summary>Things the reader should know (a run without wall times, values dropped by the log scale...).</summary>
    public List<string> Notes { get; init; } = [];

    public IEnumerable<DiffRow> VisibleDiff => View.DiffOnly ? Diff.Where(r => r.Differs) : Diff;
}

public sealed record ComparedRun(string Id, string Name, string Color, RunStatus Status, string Dataset, string Tokenizer, string Objective,
    long Step, long TotalSteps, DateTime CreatedUtc);

/// <summary>One chart: the curves of one metric, one per run (in the view's run order).</summary>
public sealed record MetricChartData(string Metric, string XLabel, bool LogScale, List<Curve> Curves);

/// <summary>A run's curve: the steps, x (step, epoch or seconds), y (smoothed when the view smooths), and the raw y.</summary>
public sealed record Curve(string RunId, string Color, long[] Steps, double[] X, double[] Y, double[] RawY);

/// <summary>A key of the config diff: its value in each run (null = the run has no such key).</summary>
public sealed record DiffRow(string Section, string Key, string?[] Values)
{
    public bool Differs => Values.Distinct(StringComparer.Ordinal).Count() > 1;
}

/// <summary>One measure of one evaluation kind, per run (null = not evaluated), and which runs are best (ties all are).</summary>
public sealed record EvalRow(string Protocol, string Subject, int? LabelsPerClass, string Measure, double?[] Values, bool[] Best)
{
    public string Label => Protocol + (Subject == "checkpoint" ? "" : $" ({Subject})") + (LabelsPerClass is { } n ? $", {n}/class" : ", all labels");
}

/// <summary>Axes of a parallel-coordinates plot: hyperparameters that differ, then the chosen metric.</summary>
public sealed record ParallelCoordinates(List<ParallelAxis> Axes);

/// <summary>An axis: one value per run (null = missing). Categorical axes place their categories at 0..n-1.</summary>
public sealed record ParallelAxis(string Name, double?[] Values, string[]? Categories, bool IsMetric)
{
    public double Min => Values.Where(v => v.HasValue).Select(v => v!.Value).DefaultIfEmpty(0).Min();
    public double Max => Values.Where(v => v.HasValue).Select(v => v!.Value).DefaultIfEmpty(1).Max();
}
