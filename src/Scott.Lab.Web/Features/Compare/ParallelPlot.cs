using Scott.Lab.Runs.Comparison;

namespace Scott.Lab.Web.Features.Compare;

/// <summary>One vertical axis of the parallel-coordinates plot, everything on the axis' own 0..1 scale.</summary>
/// <param name="Label">The short label drawn above the axis (the last part of the key).</param>
/// <param name="Key">The full key (in the hover text and in the list under the plot).</param>
/// <param name="Positions">Where each run crosses the axis; null where the run has no value, drawn as a gap.</param>
/// <param name="ValueText">Each run's value as the hover text shows it ("missing" where it has none).</param>
/// <param name="TickPositions">Where the labelled ticks go; <paramref name="TickText"/> are their labels.</param>
public sealed record ParallelDimension(string Label, string Key, double?[] Positions, string[] ValueText,
    double[] TickPositions, string[] TickText, bool IsMetric);

/// <summary>
/// Turns <see cref="ParallelCoordinates"/> into axes for a parallel-coordinates plot drawn with ordinary SVG line
/// traces (ParallelChart): categorical axes with their categories as ticks, numeric axes with round ends and round
/// ticks, short labels (the full key is listed under the plot) and a gap where a run has no value.
/// Why not plotly's parcoords: it draws with WebGL, which took 3-5 s of the browser's main thread on a machine
/// without a GPU (Chromium falls back to software rendering) and held up the line charts of the compare page; it
/// is also not in plotly's basic bundle, and a parcoords line cannot have a gap (plotly drops a line with a NaN).
/// </summary>
public static class ParallelPlot
{
    public const string Missing = "missing";
    private const int MaxLabel = 18, MaxTickText = 22;

    public static List<ParallelDimension> Dimensions(ParallelCoordinates parallel)
    {
        var labels = Labels(parallel.Axes.Select(a => a.Name).ToList());
        return parallel.Axes.Select((axis, a) => Dimension(axis, labels[a])).ToList();
    }

    private static ParallelDimension Dimension(ParallelAxis axis, string label)
    {
        if (axis.Categories is { } categories)
        {
            // Categories evenly up the axis, in their order; a single one in the middle.
            double At(double index) => categories.Length == 1 ? 0.5 : index / (categories.Length - 1);
            return new ParallelDimension(label, axis.Name,
                axis.Values.Select(v => v is { } i ? At(i) : (double?)null).ToArray(),
                axis.Values.Select(v => v is { } i && i >= 0 && i < categories.Length ? categories[(int)i] : Missing).ToArray(),
                categories.Select((_, i) => At(i)).ToArray(), categories.Select(c => Shorten(c, MaxTickText)).ToArray(), axis.IsMetric);
        }

        var present = axis.Values.Where(v => v.HasValue).Select(v => v!.Value).ToList();
        var valueText = axis.Values.Select(v => v is { } x ? Format(x) : Missing).ToArray();
        if (present.Count == 0)
            return new ParallelDimension(label, axis.Name, axis.Values.Select(_ => (double?)null).ToArray(), valueText, [], [], axis.IsMetric);
        double min = present.Min(), max = present.Max();
        if (max - min < 1e-12) { double pad = Math.Max(Math.Abs(min) * 0.1, 0.5); min -= pad; max += pad; }
        // Round ends, so that the ticks at the ends read 0.1 and 0.17, not 0.098667 and 0.162667.
        double step = NiceStep(min, max);
        if (present.All(v => v == Math.Round(v))) step = Math.Max(step, 1); // a depth of 1 or 2 has no tick at 1.5
        min = Math.Floor(min / step + 1e-9) * step;
        max = Math.Ceiling(max / step - 1e-9) * step;
        double Scale(double x) => (x - min) / (max - min);
        var ticks = Ticks(min, max, step);
        return new ParallelDimension(label, axis.Name, axis.Values.Select(v => v is { } x ? Scale(x) : (double?)null).ToArray(), valueText,
            ticks.Select(Scale).ToArray(), ticks.Select(Format).ToArray(), axis.IsMetric);
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

    /// <summary>A label over at most two lines of about <paramref name="width"/> characters, broken after a dot or underscore.</summary>
    public static string Wrap(string label, int width)
    {
        if (label.Length <= width) return label;
        int cut = label.LastIndexOfAny(['.', '_'], Math.Min(width, label.Length - 1));
        if (cut <= 0) cut = width - 1;
        return label[..(cut + 1)] + "<br>" + Shorten(label[(cut + 1)..], width);
    }

    /// <summary>At most five round values (1, 2 or 5 times a power of ten) from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static double[] NiceTicks(double min, double max) => Ticks(min, max, NiceStep(min, max));

    private static double[] Ticks(double min, double max, double step)
    {
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
