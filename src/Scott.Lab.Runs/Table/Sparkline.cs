using System.Globalization;
using System.Text;

namespace Scott.Lab.Runs.Table;

/// <summary>
/// A run's loss at a glance: the points of an inline SVG polyline. A table shows dozens of these, so each is a few
/// hundred bytes of SVG drawn by the browser, not a chart component with its own script and layout (Plotly: ~3 MB
/// of script and a layout pass per chart); the run page has the real chart.
/// </summary>
public static class Sparkline
{
    /// <summary>
    /// The "x,y x,y ..." of a polyline of the summary's sparkline points (and its last value), scaled to fill
    /// <paramref name="width"/> × <paramref name="height"/> (y grows downwards); empty with fewer than two points.
    /// </summary>
    public static string Points(RunMetricSummary? summary, double width, double height)
    {
        if (summary is null) return "";
        var points = summary.Spark.Select(p => (p.Step, p.Value)).ToList();
        // The thinned points skip the newest value unless it fell on the stride: end the line where the metric is now.
        if (summary.Series.Find(s => s.Name == RunMetricSummaries.SparkMetric) is { Count: > 0 } last && (points.Count == 0 || points[^1].Step < last.LastStep))
            points.Add((last.LastStep, last.Last));
        return Points(points, width, height);
    }

    public static string Points(IReadOnlyList<(long Step, double Value)> points, double width, double height)
    {
        if (points.Count < 2) return "";
        double minX = points[0].Step, maxX = points[^1].Step;
        double minY = points.Min(p => p.Value), maxY = points.Max(p => p.Value);
        double spanX = maxX > minX ? maxX - minX : 1, spanY = maxY > minY ? maxY - minY : 1;
        var sb = new StringBuilder();
        foreach (var (step, value) in points)
        {
            if (sb.Length > 0) sb.Append(' ');
            double x = (step - minX) / spanX * width;
            double y = maxY > minY ? height - (value - minY) / spanY * height : height / 2; // a flat line sits in the middle
            sb.Append(x.ToString("0.#", CultureInfo.InvariantCulture)).Append(',').Append(y.ToString("0.#", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
