using System.Globalization;
using Scott.Lab.Runs.Comparison;

namespace Scott.Lab.Runs.Table;

/// <summary>One value of a runs-table cell: its text, and its number when it is one (config values that read as numbers are numbers).</summary>
public readonly record struct Cell(string Text, double? Number)
{
    public static Cell Of(string text) => new(text, ConfigFlattener.Number(text));
    public static Cell Of(double number) => new(Format(number), number);

    /// <summary>Short and round-trippable enough for a table: 4 significant digits, no exponent for ordinary sizes.</summary>
    public static string Format(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e9 ? value.ToString("0", CultureInfo.InvariantCulture)
        : Math.Abs(value) is >= 1e-3 and < 1e6 ? value.ToString("0.####", CultureInfo.InvariantCulture)
        : value.ToString("0.###e0", CultureInfo.InvariantCulture);
}

/// <summary>Where a column's values come from.</summary>
public enum ColumnKind { Run, Config, Metric, Evaluation }

/// <summary>A column the runs table can show, group by, sort by and filter on.</summary>
public sealed record RunColumn(string Key, string Title, ColumnKind Kind, string? Description = null);

/// <summary>
/// Everything a runs-table row is made of: the record, its spec flattened to dotted keys, its metric summaries and
/// its evaluations. <see cref="Values"/> gives the values of any column key (none: the run has no such value).
/// </summary>
public sealed class RunRow(RunRecord run, RunMetricSummary? metrics, IReadOnlyList<EvaluationRecord> evaluations, DateTime nowUtc)
{
    public RunRecord Run { get; } = run;
    public SortedDictionary<string, string> Config { get; } = ConfigFlattener.Flatten(run.Spec);
    public RunMetricSummary? Metrics { get; } = metrics;
    public IReadOnlyList<EvaluationRecord> Evaluations { get; } = evaluations;
    public DateTime NowUtc { get; } = nowUtc;

    /// <summary>From the run's first start to its end, or to now while it runs; null when it never started.</summary>
    public TimeSpan? Duration
    {
        get
        {
            var start = Run.History.FirstOrDefault(h => h.Status == RunStatus.Running)?.AtUtc ?? Run.WorkerStartedUtc;
            if (start is null) return null;
            DateTime end = Run.Status switch
            {
                RunStatus.Running => NowUtc,
                _ when Run.IsFinished => Run.History.LastOrDefault()?.AtUtc ?? Run.UpdatedUtc,
                _ => Run.UpdatedUtc, // queued again (a resume): up to when it was queued
            };
            return end > start ? end - start.Value : TimeSpan.Zero;
        }
    }

    public IReadOnlyList<Cell> Values(string key) => RunColumns.Values(this, key);
}

/// <summary>
/// The columns of the runs table, by key: the run's own fields (<c>name</c>, <c>status</c>, <c>duration</c>...), any
/// config key of its spec (<c>model.width</c>, <c>objective.id</c>), any metric's last, best, lowest or highest value
/// (<c>metric.loss.last</c>) and any evaluation's top-1 or top-5 (<c>eval.linear.top1</c>; <c>eval.linear@10.top1</c>
/// for a 10-labels-per-class evaluation): the latest evaluation of the checkpoint by that protocol.
/// </summary>
public static class RunColumns
{
    public const string MetricPrefix = "metric.";
    public const string EvalPrefix = "eval.";
    public static readonly string[] MetricAggregates = ["last", "best", "min", "max"];
    public static readonly string[] EvalMeasures = ["top1", "top5"];

    private sealed record Field(string Key, string Title, string Description, Func<RunRow, IEnumerable<Cell>> Values);

    // The run's own fields. Group by sweep: once runs record the sweep they belong to, add
    // new("sweep", "Sweep", "the sweep the run belongs to", r => Text(r.Run.SweepId)) here; the page then offers it.
    private static readonly Field[] Fields =
    [
        new("name", "Name", "the run's name", r => [new Cell(r.Run.Name, null)]),
        new("id", "Id", "the run's id", r => [new Cell(r.Run.Id, null)]),
        new("status", "Status", "Queued, Running, Completed, Failed, Cancelled, Interrupted or Imported", r => [new Cell(r.Run.Status.ToString(), null)]),
        new("dataset", "Dataset", "the dataset plugin", r => Text(r.Run.Dataset)),
        new("tokenizer", "Tokenizer", "the tokenizer plugin", r => Text(r.Run.Tokenizer)),
        new("objective", "Objective", "the objective plugin", r => Text(r.Run.Objective)),
        new("plugins", "Dataset / tokenizer / objective", "the three plugins", r => [new Cell($"{r.Run.Dataset} / {r.Run.Tokenizer} / {r.Run.Objective}", null)]),
        new("step", "Step", "the last step reached", r => [Cell.Of(r.Run.Step)]),
        // The worker's last report, else (an imported run, rows written by a script) the last loss row.
        new("loss", "Loss", "the last loss reported", r => (r.Run.LastLoss ?? r.Metrics?.Series.Find(s => s.Name == "loss")?.Last) is { } l && double.IsFinite(l) ? [Cell.Of(l)] : []),
        new("created", "Created", "when the run was created (UTC, yyyy-MM-dd HH:mm)", r => [new Cell(r.Run.CreatedUtc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), (r.Run.CreatedUtc - DateTime.UnixEpoch).TotalSeconds)]),
        new("duration", "Duration", "seconds from the first start to the end (or now, while running)", r => r.Duration is { } d ? [new Cell(FormatDuration(d), Math.Round(d.TotalSeconds))] : []),
        new("tags", "Tags", "the run's tags (= matches any of them)", r => r.Run.Tags.Select(t => new Cell(t, null))),
        new("notes", "Notes", "the run's notes", r => Text(r.Run.Notes)),
        new("device", "Device", "the device it trained on", r => Text(r.Run.Device)),
        new("executor", "Executor", "local or slurm", r => [new Cell(r.Run.Executor ?? "local", null)]),
    ];

    private static IEnumerable<Cell> Text(string? value) => string.IsNullOrEmpty(value) ? [] : [new Cell(value, null)];

    /// <summary>The run's own fields, in the order the column picker lists them.</summary>
    public static IReadOnlyList<RunColumn> RunFields { get; } = Fields.Select(f => new RunColumn(f.Key, f.Title, ColumnKind.Run, f.Description)).ToList();

    /// <summary>Aliases a URL or a filter may use: <c>tag</c> is the tags column.</summary>
    public static string Canonical(string key) => key.Trim() switch { "tag" => "tags", var k => k };

    /// <summary>The values of column <paramref name="key"/> in a row; empty when the run has none.</summary>
    public static IReadOnlyList<Cell> Values(RunRow row, string key)
    {
        key = Canonical(key);
        if (Array.Find(Fields, f => f.Key == key) is { } field) return field.Values(row).ToList();
        if (ParseMetric(key) is var (metric, aggregate))
            return row.Metrics?.Series.FirstOrDefault(s => s.Name == metric) is { Count: > 0 } series && Aggregate(series, aggregate) is { } v ? [Cell.Of(v)] : [];
        if (ParseEval(key) is var (protocol, labels, measure))
        {
            var latest = row.Evaluations.Where(e => e.Protocol == protocol && e.Subject == "checkpoint" && e.LabelsPerClass == labels)
                .OrderBy(e => e.CreatedUtc).LastOrDefault();
            double? value = latest is null ? null : measure == "top5" ? latest.Top5 : latest.Top1;
            return value is { } x && double.IsFinite(x) ? [Cell.Of(x)] : [];
        }
        return row.Config.TryGetValue(key, out string? config) ? [Cell.Of(config)] : [];
    }

    /// <summary>Every column the rows have a value for: the run's fields, then config keys, metrics and evaluations.</summary>
    public static List<RunColumn> Available(IEnumerable<RunRow> rows)
    {
        var list = rows.ToList();
        var columns = new List<RunColumn>(RunFields);
        foreach (string key in list.SelectMany(r => r.Config.Keys).Distinct().Order(StringComparer.Ordinal))
            if (!columns.Any(c => c.Key == key)) columns.Add(new RunColumn(key, key, ColumnKind.Config, "config"));
        foreach (string metric in list.SelectMany(r => r.Metrics?.Series.Select(s => s.Name) ?? []).Distinct().Order(StringComparer.Ordinal))
            foreach (string aggregate in MetricAggregates)
                columns.Add(new RunColumn($"{MetricPrefix}{metric}.{aggregate}", $"{metric} ({aggregate})", ColumnKind.Metric, MetricDescription(metric, aggregate)));
        foreach (var (protocol, labels) in list.SelectMany(r => r.Evaluations.Where(e => e.Subject == "checkpoint").Select(e => (e.Protocol, e.LabelsPerClass)))
                     .Distinct().OrderBy(k => k.Protocol, StringComparer.Ordinal).ThenBy(k => k.LabelsPerClass ?? 0))
            foreach (string measure in EvalMeasures)
            {
                string name = protocol + (labels is { } n ? $"@{n}" : "");
                columns.Add(new RunColumn($"{EvalPrefix}{name}.{measure}", $"{name} {measure}", ColumnKind.Evaluation,
                    $"the latest {protocol} evaluation's {measure}" + (labels is { } k ? $", {k} labels per class" : ", all labels")));
            }
        return columns;
    }

    /// <summary>A column's title for a key that may not be in <see cref="Available"/> (a URL naming a column no run has yet).</summary>
    public static string Title(string key)
    {
        key = Canonical(key);
        if (Array.Find(Fields, f => f.Key == key) is { } field) return field.Title;
        if (ParseMetric(key) is var (metric, aggregate)) return $"{metric} ({aggregate})";
        if (ParseEval(key) is var (protocol, labels, measure)) return $"{protocol}{(labels is { } n ? $"@{n}" : "")} {measure}";
        return key;
    }

    private static string MetricDescription(string metric, string aggregate) => aggregate switch
    {
        "last" => $"the last value of {metric}",
        "best" => $"the best value of {metric} ({(HigherIsBetter(metric) ? "highest" : "lowest")})",
        "min" => $"the lowest value of {metric}",
        _ => $"the highest value of {metric}",
    };

    /// <summary>Accuracy-like metrics are best high; losses and everything else, low.</summary>
    public static bool HigherIsBetter(string metric)
    {
        string m = metric.ToLowerInvariant();
        return new[] { "acc", "top1", "top5", "top-1", "top-5", "auc", "f1", "score", "iou", "psnr", "ssim", "precision", "recall" }.Any(m.Contains);
    }

    private static double? Aggregate(MetricSummary s, string aggregate) => aggregate switch
    {
        "last" => s.Last,
        "min" => s.Min,
        "max" => s.Max,
        _ => HigherIsBetter(s.Name) ? s.Max : s.Min,
    };

    /// <summary><c>metric.NAME.AGGREGATE</c> (the name may hold dots) as its parts; null for any other key.</summary>
    public static (string Metric, string Aggregate)? ParseMetric(string key)
    {
        if (!key.StartsWith(MetricPrefix, StringComparison.Ordinal)) return null;
        int dot = key.LastIndexOf('.');
        if (dot <= MetricPrefix.Length) return null;
        string aggregate = key[(dot + 1)..];
        return MetricAggregates.Contains(aggregate) ? (key[MetricPrefix.Length..dot], aggregate) : null;
    }

    /// <summary><c>eval.PROTOCOL[@LABELS].MEASURE</c> as its parts; null for any other key.</summary>
    public static (string Protocol, int? Labels, string Measure)? ParseEval(string key)
    {
        if (!key.StartsWith(EvalPrefix, StringComparison.Ordinal)) return null;
        string[] parts = key[EvalPrefix.Length..].Split('.');
        if (parts.Length != 2 || !EvalMeasures.Contains(parts[1]) || parts[0].Length == 0) return null;
        string protocol = parts[0];
        int? labels = null;
        if (protocol.IndexOf('@') is var at and > 0)
        {
            if (!int.TryParse(protocol[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int n)) return null;
            (protocol, labels) = (protocol[..at], n);
        }
        return (protocol, labels, parts[1]);
    }

    /// <summary>1h 02m, 3m 07s, 42s.</summary>
    public static string FormatDuration(TimeSpan d) =>
        d.TotalHours >= 1 ? $"{(int)d.TotalHours}h {d.Minutes:00}m" : d.TotalMinutes >= 1 ? $"{d.Minutes}m {d.Seconds:00}s" : $"{d.Seconds}s";
}
