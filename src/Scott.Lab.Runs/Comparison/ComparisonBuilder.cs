namespace Scott.Lab.Runs.Comparison;

/// <summary>
/// Builds a <see cref="Comparison"/> from runs' data and a view: the charted curves (x-axis, smoothing, log scale),
/// the config diff, the evaluation table with the best values marked and the parallel coordinates. Pure and fast
/// (the metrics are downsampled already), so the live page, snapshots, exports and the benchmark all share it.
/// </summary>
public static class ComparisonBuilder
{
    public const string EvalMetricPrefix = "eval:";
    private const int MaxParallelAxes = 10;
    private static readonly string[] ProtocolOrder = ["linear", "knn", "attentive", "best"];

    public static Comparison Build(IReadOnlyList<RunData> runs, CompareView view, IReadOnlyList<string>? missing = null)
    {
        var colors = RunColors.Assign(runs.Select(r => r.Run.Id));
        var notes = new List<string>();
        var available = runs.SelectMany(r => r.Series.Select(s => s.Name)).Distinct().Order(StringComparer.Ordinal).ToList();
        var metrics = view.Metrics.Count > 0 ? view.Metrics.ToList() : DefaultMetrics(available);
        foreach (string unknown in metrics.Where(m => !available.Contains(m)))
            notes.Add($"No run logged the metric '{unknown}': pick one of {string.Join(", ", available.Take(12))}{(available.Count > 12 ? ", ..." : "")}.");
        view = view with { Metrics = metrics };
        var specs = runs.Select(r => ConfigFlattener.Flatten(r.Run.Spec)).ToList();

        var charts = metrics.Where(available.Contains)
            .Select(metric => Chart(metric, runs, specs, colors, view, notes)).ToList();
        var diff = Diff(runs, specs);
        var evaluations = EvaluationRows(runs);
        var choices = available.Concat(evaluations.Select(e => EvalMetricPrefix + e.Protocol).Distinct()).ToList();

        return new Comparison
        {
            View = view,
            Runs = runs.Select(r => new ComparedRun(r.Run.Id, r.Run.Name, colors[r.Run.Id], r.Run.Status, r.Run.Dataset, r.Run.Tokenizer,
                r.Run.Objective, r.Run.Step, r.Run.TotalSteps, r.Run.CreatedUtc)).ToList(),
            Missing = missing?.ToList() ?? [],
            AvailableMetrics = available,
            Charts = charts,
            Diff = diff,
            Evaluations = evaluations,
            ParallelMetricChoices = choices,
            Parallel = runs.Count >= 3 ? Parallel(runs, diff, view.ParallelMetric ?? metrics.FirstOrDefault(available.Contains), notes) : null,
            Notes = notes.Distinct().ToList(),
        };
    }

    /// <summary>loss when a run logged it, else the first metric: what a comparison charts when the URL names none.</summary>
    public static List<string> DefaultMetrics(IReadOnlyList<string> available) =>
        available.Contains("loss") ? ["loss"] : available.Take(1).ToList();

    // ---- curves --------------------------------------------------------------------------------------------

    private static MetricChartData Chart(string metric, IReadOnlyList<RunData> runs, List<SortedDictionary<string, string>> specs,
        Dictionary<string, string> colors, CompareView view, List<string> notes)
    {
        var curves = new List<Curve>();
        for (int r = 0; r < runs.Count; r++)
        {
            var run = runs[r];
            if (run.Series.FirstOrDefault(s => s.Name == metric) is not { } series) continue;
            double[] x = XValues(run, series, specs[r], view.X, notes);
            double[] smoothed = Smooth(series.Values, view.Smoothing);
            var keep = Enumerable.Range(0, series.Values.Length).Where(i => double.IsFinite(x[i])).ToList();
            if (view.LogScale)
            {
                int before = keep.Count;
                keep = keep.Where(i => smoothed[i] > 0).ToList();
                if (keep.Count < before)
                    notes.Add($"Log scale: {before - keep.Count} value(s) ≤ 0 of '{metric}' in run {run.Run.Name} are not drawn.");
            }
            curves.Add(new Curve(run.Run.Id, colors[run.Run.Id], keep.Select(i => series.Steps[i]).ToArray(), keep.Select(i => x[i]).ToArray(),
                keep.Select(i => smoothed[i]).ToArray(), keep.Select(i => series.Values[i]).ToArray()));
        }
        string label = view.X switch { XAxis.Epoch => "epoch", XAxis.Wall => "wall time (s)", _ => "step" };
        return new MetricChartData(metric, label, view.LogScale, curves);
    }

    private static double[] XValues(RunData run, MetricSeries series, SortedDictionary<string, string> spec, XAxis axis, List<string> notes)
    {
        var steps = series.Steps.Select(s => (double)s).ToArray();
        switch (axis)
        {
            case XAxis.Wall:
                if (series.Wall.Any(double.IsFinite)) return series.Wall;
                notes.Add($"Run {run.Run.Name} has no wall_seconds in its metrics: it is drawn by step.");
                return steps;
            case XAxis.Epoch:
                if (StepsPerEpoch(run.Run, spec) is { } perEpoch) return steps.Select(s => s / perEpoch).ToArray();
                notes.Add($"Run {run.Run.Name} fixed its length with trainer.steps, so its epochs are not known: it is drawn by step.");
                return steps;
            default:
                return steps;
        }
    }

    /// <summary>Steps per epoch from the spec (trainer.epochs) and the run's total steps; null when trainer.steps set the length.</summary>
    public static double? StepsPerEpoch(RunRecord run, IReadOnlyDictionary<string, string> spec)
    {
        bool stepsSet = spec.TryGetValue("trainer.steps", out string? steps) && steps != "null";
        if (stepsSet || run.TotalSteps <= 0) return null;
        return ConfigFlattener.Number(spec.GetValueOrDefault("trainer.epochs")) is > 0 and var epochs ? run.TotalSteps / epochs : null;
    }

    /// <summary>TensorBoard's smoothing: an exponential moving average, debiased so that the curve starts at the first value.</summary>
    public static double[] Smooth(double[] values, double weight)
    {
        if (weight <= 0) return values;
        var result = new double[values.Length];
        double average = 0;
        for (int i = 0; i < values.Length; i++)
        {
            average = average * weight + (1 - weight) * values[i];
            result[i] = average / (1 - Math.Pow(weight, i + 1));
        }
        return result;
    }

    // ---- config diff ---------------------------------------------------------------------------------------

    private static List<DiffRow> Diff(IReadOnlyList<RunData> runs, List<SortedDictionary<string, string>> specs)
    {
        var rows = new List<DiffRow>();
        foreach (string key in specs.SelectMany(s => s.Keys).Distinct().Order(StringComparer.Ordinal))
            rows.Add(new DiffRow("spec", key, specs.Select(s => s.GetValueOrDefault(key)).ToArray()));

        foreach (string kind in runs.SelectMany(r => r.Run.Plugins.Select(p => p.Kind)).Distinct().Order(StringComparer.Ordinal))
            rows.Add(new DiffRow("plugins", kind, runs.Select(r => r.Run.Plugins.FirstOrDefault(p => p.Kind == kind) is { } p
                ? $"{p.Id} {p.Version}" + (p.Sha256.Length >= 12 ? $" ({p.Sha256[..12]})" : "") : null).ToArray()));

        rows.Add(new DiffRow("environment", "device", runs.Select(r => r.Run.Device).ToArray()));
        rows.Add(new DiffRow("environment", "git commit", runs.Select(r => r.Run.GitCommit).ToArray()));
        rows.Add(new DiffRow("environment", "source", runs.Select(r => (string?)r.Run.Source).ToArray()));
        foreach (string library in runs.SelectMany(r => r.Run.Libraries.Keys).Distinct().Order(StringComparer.Ordinal))
            rows.Add(new DiffRow("environment", library, runs.Select(r => r.Run.Libraries.GetValueOrDefault(library)).ToArray()));
        return rows;
    }

    // ---- evaluations ---------------------------------------------------------------------------------------

    private static List<EvalRow> EvaluationRows(IReadOnlyList<RunData> runs)
    {
        // Per run, the latest evaluation of each kind (protocol, subject, label budget).
        var latest = runs.Select(r => r.Evaluations
            .GroupBy(e => (e.Protocol, e.Subject, e.LabelsPerClass))
            .ToDictionary(g => g.Key, g => g.OrderBy(e => e.CreatedUtc).Last())).ToList();
        var kinds = latest.SelectMany(d => d.Keys).Distinct()
            .OrderBy(k => Array.IndexOf(ProtocolOrder, k.Protocol) is var i && i >= 0 ? i : ProtocolOrder.Length)
            .ThenBy(k => k.Protocol, StringComparer.Ordinal)
            .ThenBy(k => k.Subject == "checkpoint" ? "" : k.Subject, StringComparer.Ordinal)
            .ThenBy(k => k.LabelsPerClass ?? int.MaxValue)
            .ToList();
        var rows = new List<EvalRow>();
        foreach (var kind in kinds)
            foreach (var (measure, pick) in new (string, Func<EvaluationRecord, double>)[] { ("top-1", e => e.Top1), ("top-5", e => e.Top5), ("mean per class", e => e.MeanPerClass) })
            {
                var values = latest.Select(d => d.TryGetValue(kind, out var e) && double.IsFinite(pick(e)) ? pick(e) : (double?)null).ToArray();
                double? best = values.Max();
                // Best is only worth marking when there is something to beat.
                bool mark = values.Count(v => v.HasValue) >= 2;
                rows.Add(new EvalRow(kind.Protocol, kind.Subject, kind.LabelsPerClass, measure, values,
                    values.Select(v => mark && v.HasValue && v == best).ToArray()));
            }
        return rows;
    }

    // ---- parallel coordinates ------------------------------------------------------------------------------

    private static ParallelCoordinates? Parallel(IReadOnlyList<RunData> runs, List<DiffRow> diff, string? metric, List<string> notes)
    {
        var axes = new List<ParallelAxis>();
        foreach (var row in diff.Where(r => r.Section == "spec" && r.Differs && r.Key != "name").Take(MaxParallelAxes))
        {
            var numbers = row.Values.Select(ConfigFlattener.Number).ToArray();
            if (row.Values.All(v => v is null || ConfigFlattener.Number(v) is not null))
                axes.Add(new ParallelAxis(row.Key, numbers, null, IsMetric: false));
            else
            {
                var categories = row.Values.Where(v => v is not null).Select(v => v!).Distinct().Order(StringComparer.Ordinal).ToArray();
                axes.Add(new ParallelAxis(row.Key, row.Values.Select(v => v is null ? (double?)null : Array.IndexOf(categories, v)).ToArray(), categories, IsMetric: false));
            }
        }
        if (metric is null) return axes.Count == 0 ? null : new ParallelCoordinates(axes);
        double?[] values;
        if (metric.StartsWith(EvalMetricPrefix, StringComparison.Ordinal))
        {
            string protocol = metric[EvalMetricPrefix.Length..];
            values = runs.Select(r => r.Evaluations.Where(e => e.Protocol == protocol && e.Subject == "checkpoint")
                .OrderBy(e => e.CreatedUtc).LastOrDefault() is { } e ? e.Top1 : (double?)null).ToArray();
            metric = $"{protocol} top-1";
        }
        else
            values = runs.Select(r => r.Series.FirstOrDefault(s => s.Name == metric) is { Values.Length: > 0 } s ? s.Values[^1] : (double?)null).ToArray();
        if (values.All(v => v is null)) notes.Add($"Parallel coordinates: no run has a value of '{metric}'.");
        axes.Add(new ParallelAxis(metric, values, null, IsMetric: true));
        return new ParallelCoordinates(axes);
    }
}
