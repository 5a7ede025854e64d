using Scott.Lab.Runs.Comparison;

namespace Scott.Lab.Web.Components.Charts;

/// <summary>
/// One named line of a <see cref="LineChart"/>: the points (X[i], Y[i]), X ascending. Non-finite Y values (a row
/// without this metric) are skipped; any number of points may be given, the chart downsamples before drawing.
/// </summary>
/// <param name="Name">Shown in the legend and the hover box.</param>
/// <param name="Color">A CSS colour (e.g. a run's <see cref="RunColors"/> colour); null = the chart's palette.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, string? Color = null)
{
    /// <summary>How the line is drawn beyond its colour (null = a solid line with round markers).</summary>
    public SeriesStyle? Style { get; init; }

    /// <summary>A series from (x, y) pairs, e.g. <c>ChartSeries.From("top-1", rows.Select(r => ((double)r.Images, r.Top1)))</c>.</summary>
    public static ChartSeries From(string name, IEnumerable<(double X, double Y)> points, string? color = null)
    {
        var list = points as IReadOnlyCollection<(double X, double Y)> ?? points.ToList();
        var x = new double[list.Count];
        var y = new double[list.Count];
        int i = 0;
        foreach (var (px, py) in list) { x[i] = px; y[i] = py; i++; }
        return new ChartSeries(name, x, y, color);
    }
}

/// <summary>
/// Dash and marker of a line, and the legend group it is listed under: lets one chart tell apart two things at once
/// (a run by colour, a protocol by marker, a label budget by dash) where colour alone would run out.
/// </summary>
/// <param name="Dash">A plotly dash name: solid, dot, dash, longdash, dashdot, longdashdot.</param>
/// <param name="Marker">The marker's shape (plotly's symbols); null = a circle.</param>
/// <param name="Group">The legend group's title; lines of one group are listed together under it.</param>
public sealed record SeriesStyle(string? Dash = null, Plotly.Blazor.Traces.ScatterLib.MarkerLib.SymbolEnum? Marker = null, string? Group = null);

/// <summary>
/// What a <see cref="LineChart"/> draws of one series, computed on the server: the finite points, EMA-smoothed
/// (when asked) over all of them, then LTTB-downsampled to a pixel-sized count so that a 20k-step run costs the
/// browser a thousand points. Pure, so that tests can check it without a browser.
/// </summary>
public sealed record PreparedSeries(string Name, string? Color, double[] X, double[] Y, double[] RawY)
{
    public SeriesStyle? Style { get; init; }

    public static PreparedSeries Prepare(ChartSeries series, double smoothing, bool logY, int maxPoints)
    {
        int n = Math.Min(series.X.Count, series.Y.Count);
        var xs = new List<double>(n);
        var ys = new List<double>(n);
        for (int i = 0; i < n; i++)
        {
            double x = series.X[i], y = series.Y[i];
            // A log axis cannot place zero or negative values: they are left out rather than drawn at the edge.
            if (!double.IsFinite(x) || !double.IsFinite(y) || (logY && y <= 0)) continue;
            xs.Add(x);
            ys.Add(y);
        }
        double[] x0 = [.. xs], raw = [.. ys];
        double[] smooth = ComparisonBuilder.Smooth(raw, smoothing);
        if (x0.Length <= maxPoints) return new PreparedSeries(series.Name, series.Color, x0, smooth, raw) { Style = series.Style };
        // Points chosen on the raw curve, so a spike survives the cut whether or not the view smooths.
        int[] kept = Lttb.SelectIndices(x0, raw, Math.Max(3, maxPoints));
        return new PreparedSeries(series.Name, series.Color, kept.Select(k => x0[k]).ToArray(), kept.Select(k => smooth[k]).ToArray(), kept.Select(k => raw[k]).ToArray())
            { Style = series.Style };
    }
}

/// <summary>The y range a linear chart starts with (the user can zoom from there).</summary>
public static class ChartRange
{
    /// <summary>
    /// The values' range, widened to at least <paramref name="minRelativeSpan"/> of their magnitude and padded by 5%:
    /// a loss that wanders between 0.2476 and 0.2516 is drawn as the flat line it is, not as a cliff filling the
    /// chart (Plotly's autorange fits the data tightly). Null when there is nothing finite to draw.
    /// </summary>
    public static (double Min, double Max)? Initial(IEnumerable<double> values, double minRelativeSpan = 0.1)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in values)
            if (double.IsFinite(v)) { min = Math.Min(min, v); max = Math.Max(max, v); }
        if (min > max) return null;
        double magnitude = Math.Max(Math.Abs(min), Math.Abs(max));
        double span = Math.Max(max - min, Math.Max(magnitude * minRelativeSpan, 1e-9));
        double middle = (min + max) / 2;
        double low = Math.Min(min, middle - span / 2), high = Math.Max(max, middle + span / 2);
        // Values that are all positive stay above zero (a loss or a learning rate is never negative).
        if (min >= 0 && low < 0) { high -= low; low = 0; }
        double pad = (high - low) * 0.05;
        return (min >= 0 ? Math.Max(0, low - pad) : low - pad, high + pad);
    }
}
