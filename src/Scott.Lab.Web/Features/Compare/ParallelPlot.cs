using System.Globalization;
using Scott.Lab.Runs.Comparison;

namespace Scott.Lab.Web.Features.Compare;

/// <summary>One axis of the parallel-coordinates plot as plotly's parcoords draws it.</summary>
/// <param name="Label">The short label drawn above the axis (the last part of the key).</param>
/// <param name="Key">The full key (shown in the list under the plot and in the label's tooltip there).</param>
/// <param name="TickVals">Where labelled ticks go; null = plotly's own ticks (a numeric axis with no missing value).</param>
public sealed record ParallelDimension(string Label, string Key, double[] Values, double[]? TickVals, string[]? TickText, double[] Range, bool IsMetric);

/// <summary>
/// Turns <see cref="ParallelCoordinates"/> into parcoords dimensions: a first "run" axis naming each line (parcoords
/// has no hover on lines), categorical axes with their categories as tick labels, short labels (the full key is
/// listed under the plot) and missing values on a tick of their own labelled "missing", below the axis' values.
/// Why a tick and not a gap: a parcoords line must cross every axis (plotly drops a line with a NaN entirely), so
/// a gap would hide the run; drawing it mid-axis (as before) claims a value it does not have.
/// </summary>
public static class ParallelPlot
{
    public const string Missing = "missing";
    private const int MaxLabel = 18, MaxTickText = 22;

    public static List<ParallelDimension> Dimensions(ParallelCoordinates parallel, IReadOnlyList<ComparedRun> runs)
    {
        var dimensions = new List<ParallelDimension>
        {
            new("run", "run", runs.Select((_, i) => (double)i).ToArray(), runs.Select((_, i) => (double)i).ToArray(),
                runs.Select(r => Shorten(r.Name, MaxTickText)).ToArray(), [-0.5, runs.Count - 0.5], IsMetric: false),
        };
        var labels = Labels(parallel.Axes.Select(a => a.Name).ToList());
        for (int a = 0; a < parallel.Axes.Count; a++)
            dimensions.Add(Dimension(parallel.Axes[a], labels[a]));
        return dimensions;
    }

    private static ParallelDimension Dimension(ParallelAxis axis, string label)
    {
        bool anyMissing = axis.Values.Any(v => v is null);
        if (axis.Categories is { } categories)
        {
            // Categories sit at 0..n-1; a missing value at -1, under them.
            var vals = Enumerable.Range(0, categories.Length).Select(i => (double)i).ToList();
            var text = categories.Select(c => Shorten(c, MaxTickText)).ToList();
            if (anyMissing) { vals.Insert(0, -1); text.Insert(0, Missing); }
            double low = anyMissing ? -1 : 0;
            return new ParallelDimension(label, axis.Name, axis.Values.Select(v => v ?? -1).ToArray(), [.. vals], [.. text],
                [low - 0.25, Math.Max(low, categories.Length - 1) + 0.25], axis.IsMetric);
        }

        var present = axis.Values.Where(v => v.HasValue).Select(v => v!.Value).ToList();
        if (present.Count == 0)
            return new ParallelDimension(label, axis.Name, axis.Values.Select(_ => 0.0).ToArray(), [0], [Missing], [-1, 1], axis.IsMetric);
        double min = present.Min(), max = present.Max();
        if (max - min < 1e-12) { double pad = Math.Max(Math.Abs(min) * 0.1, 0.5); min -= pad; max += pad; }
        // Round ends: parcoords prints the range at each end of the axis (0.1 to 0.17, not 0.098667 to 0.162667).
        double step = NiceStep(min, max);
        min = Math.Floor(min / step + 1e-9) * step;
        max = Math.Ceiling(max / step - 1e-9) * step;
        if (!anyMissing)
            return new ParallelDimension(label, axis.Name, axis.Values.Select(v => v!.Value).ToArray(), null, null, [min, max], axis.IsMetric);

        // Below the values by a fifth of their span: clearly apart, labelled, and never mistaken for a value.
        double missingAt = min - (max - min) * 0.2;
        var ticks = NiceTicks(min, max);
        return new ParallelDimension(label, axis.Name, axis.Values.Select(v => v ?? missingAt).ToArray(),
            [missingAt, .. ticks], [Missing, .. ticks.Select(Format)], [missingAt, max], axis.IsMetric);
    }

    /// <summary>The last part of each dotted key; more parts where two axes would otherwise share a label.</summary>
    public static List<string> Labels(IReadOnlyList<string> keys)
    {
        var parts = keys.Select(k => k.Split('.')).ToList();
        var depth = keys.Select(_ => 1).ToList();
        for (int round = 0; round < 4; round++)
        {
            var labels = parts.Select((p, i) => string.Join('.', p.TakeLast(depth[i]))).ToList();
            var clashes = labels.Select((l, i) => (l, i)).GroupBy(x => x.l).Where(g => g.Count() > 1).SelectMany(g => g.Select(x => x.i)).ToList();
            if (clashes.Count == 0) break;
            foreach (int i in clashes) depth[i]++;
        }
        return parts.Select((p, i) => Shorten(string.Join('.', p.TakeLast(depth[i])), MaxLabel)).ToList();
    }

    /// <summary>At most five round values (1, 2 or 5 times a power of ten) from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static double[] NiceTicks(double min, double max)
    {
        double step = NiceStep(min, max);
        var ticks = new List<double>();
        for (double t = Math.Ceiling(min / step) * step; t <= max + step * 1e-9; t += step) ticks.Add(Math.Round(t / step) * step);
        return [.. ticks];
    }

    /// <summary>The tick spacing for about four intervals: 1, 2 or 5 times a power of ten.</summary>
    private static double NiceStep(double min, double max)
    {
        double raw = Math.Max(max - min, 1e-12) / 4;
        double power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        return new[] { 1.0, 2, 5, 10 }.Select(m => m * power).First(s => s >= raw * (1 - 1e-9));
    }

    private static string Format(double value) => ComparisonSvg.Format(value);

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
