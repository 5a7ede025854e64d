using System.Globalization;
using System.Net;
using System.Text;

namespace Scott.Lab.Runs.Comparison;

/// <summary>
/// The comparison's charts as inline SVG strings. One implementation serves the live page, the share page and the
/// static HTML export (which must open offline from file://, so no chart library and no JavaScript): like the run
/// page's MetricChart, a curve is one polyline of at most a thousand downsampled points.
/// </summary>
public static class ComparisonSvg
{
    private const int Width = 640, Height = 260, Left = 56, Right = 10, Top = 10, Bottom = 28;

    /// <summary>One metric's curves; with <paramref name="runs"/>, each curve's tooltip names its run.</summary>
    public static string Chart(MetricChartData chart, IReadOnlyList<ComparedRun>? runs = null)
    {
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" width=\"100%\" role=\"img\" aria-label=\"{Esc(chart.Metric)}\" data-metric=\"{Esc(chart.Metric)}\" style=\"max-width:{Width}px\">");
        var xs = chart.Curves.SelectMany(c => c.X).ToList();
        var ys = chart.Curves.SelectMany(c => c.Y).Select(y => chart.LogScale ? Math.Log10(y) : y).ToList();
        if (xs.Count == 0)
        {
            sb.Append($"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#666\">no data</text></svg>");
            return sb.ToString();
        }
        var (x0, x1) = Range(xs);
        var (y0, y1) = Range(ys);
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double Px(double x) => Left + (x - x0) / (x1 - x0) * plotW;
        double Py(double y) => Top + plotH - ((chart.LogScale ? Math.Log10(y) : y) - y0) / (y1 - y0) * plotH;

        sb.Append($"<line x1=\"{Left}\" y1=\"{Top + plotH}\" x2=\"{Width - Right}\" y2=\"{Top + plotH}\" stroke=\"#bbb\"/>");
        sb.Append($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + plotH}\" stroke=\"#bbb\"/>");
        for (int i = 0; i <= 4; i++)
        {
            double fy = y0 + (y1 - y0) * i / 4, py = Top + plotH - plotH * i / 4;
            string label = chart.LogScale ? Format(Math.Pow(10, fy)) : Format(fy);
            sb.Append($"<line x1=\"{Left}\" y1=\"{N(py)}\" x2=\"{Width - Right}\" y2=\"{N(py)}\" stroke=\"#eee\"/>");
            sb.Append($"<text x=\"{Left - 4}\" y=\"{N(py + 3)}\" font-size=\"10\" fill=\"#666\" text-anchor=\"end\">{label}</text>");
            double fx = x0 + (x1 - x0) * i / 4, px = Left + plotW * i / 4;
            sb.Append($"<text x=\"{N(px)}\" y=\"{Height - Bottom + 12}\" font-size=\"10\" fill=\"#666\" text-anchor=\"middle\">{Format(fx)}</text>");
        }
        sb.Append($"<text x=\"{Left + plotW / 2}\" y=\"{Height - 3}\" font-size=\"10\" fill=\"#444\" text-anchor=\"middle\">{Esc(chart.XLabel)}</text>");
        foreach (var curve in chart.Curves)
        {
            sb.Append($"<polyline fill=\"none\" stroke=\"{curve.Color}\" stroke-width=\"1.6\" data-run=\"{Esc(curve.RunId)}\" points=\"");
            for (int i = 0; i < curve.X.Length; i++) sb.Append(N(Px(curve.X[i]))).Append(',').Append(N(Py(curve.Y[i]))).Append(' ');
            string name = runs?.FirstOrDefault(r => r.Id == curve.RunId)?.Name ?? curve.RunId;
            sb.Append("\"><title>").Append(Esc(name)).Append("</title></polyline>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    /// <summary>Parallel coordinates: one vertical axis per hyperparameter and the metric last, one line per run.</summary>
    public static string Parallel(ParallelCoordinates parallel, IReadOnlyList<ComparedRun> runs)
    {
        int axes = parallel.Axes.Count, width = Math.Max(360, 120 * axes), height = 280, top = 30, bottom = 40;
        double plotH = height - top - bottom, step = axes > 1 ? (width - 80.0) / (axes - 1) : 0;
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" aria-label=\"parallel coordinates\" style=\"max-width:{width}px\">");
        double Ax(int a) => 40 + a * step;
        double Ay(ParallelAxis axis, double value)
        {
            double min = axis.Min, max = axis.Max;
            return max - min < 1e-12 ? top + plotH / 2 : top + plotH - (value - min) / (max - min) * plotH;
        }
        for (int a = 0; a < axes; a++)
        {
            var axis = parallel.Axes[a];
            string weight = axis.IsMetric ? "bold" : "normal";
            sb.Append($"<line x1=\"{N(Ax(a))}\" y1=\"{top}\" x2=\"{N(Ax(a))}\" y2=\"{top + plotH}\" stroke=\"#999\"/>");
            sb.Append($"<text x=\"{N(Ax(a))}\" y=\"{top - 12}\" font-size=\"10\" text-anchor=\"middle\" font-weight=\"{weight}\">{Esc(axis.Name)}</text>");
            string high = axis.Categories is { } c ? (c.Length > 0 ? c[^1] : "") : Format(axis.Max);
            string low = axis.Categories is { } c2 ? (c2.Length > 0 ? c2[0] : "") : Format(axis.Min);
            sb.Append($"<text x=\"{N(Ax(a))}\" y=\"{top - 2}\" font-size=\"9\" fill=\"#666\" text-anchor=\"middle\">{Esc(high)}</text>");
            sb.Append($"<text x=\"{N(Ax(a))}\" y=\"{top + plotH + 12}\" font-size=\"9\" fill=\"#666\" text-anchor=\"middle\">{Esc(low)}</text>");
        }
        for (int r = 0; r < runs.Count; r++)
        {
            sb.Append($"<polyline fill=\"none\" stroke=\"{runs[r].Color}\" stroke-width=\"2\" data-run=\"{Esc(runs[r].Id)}\" points=\"");
            for (int a = 0; a < axes; a++)
                if (parallel.Axes[a].Values[r] is { } v) sb.Append(N(Ax(a))).Append(',').Append(N(Ay(parallel.Axes[a], v))).Append(' ');
            sb.Append("\"><title>").Append(Esc(runs[r].Name)).Append("</title></polyline>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static (double Min, double Max) Range(List<double> values)
    {
        double min = values.Where(double.IsFinite).DefaultIfEmpty(0).Min(), max = values.Where(double.IsFinite).DefaultIfEmpty(1).Max();
        if (max - min < 1e-12) { double pad = Math.Max(Math.Abs(min) * 0.5, 1e-6); min -= pad; max += pad; }
        return (min, max);
    }

    private static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
    private static string Esc(string text) => WebUtility.HtmlEncode(text);

    /// <summary>Numbers for axes and tables: short, invariant, scientific when very large or small.</summary>
    public static string Format(double value) =>
        !double.IsFinite(value) ? value.ToString(CultureInfo.InvariantCulture)
        : value != 0 && Math.Abs(value) is >= 1e5 or < 1e-3 ? value.ToString("0.##e+0", CultureInfo.InvariantCulture)
        : value.ToString("0.####", CultureInfo.InvariantCulture);
}
