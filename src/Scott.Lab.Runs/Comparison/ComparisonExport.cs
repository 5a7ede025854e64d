using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Scott.Lab.Runs.Comparison;

/// <summary>A map picture for the HTML export: a data: URI of the PNG, or why there is none.</summary>
public sealed record MapPicture(string RunId, string Image, string Kind, string? DataUri, string? Error = null);

/// <summary>The comparison as CSV (long format), JSON, and a self-contained HTML page (inline SVG, data: URI maps).</summary>
public static class ComparisonExport
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
    };

    /// <summary>
    /// One tidy table: <c>table,run_id,run_name,series,step,x,value,smoothed</c>. Metric rows (table=metric) are the
    /// charted curves' downsampled points with the view's x; evaluation rows (table=evaluation) have the kind and
    /// measure as series (e.g. <c>linear, all labels: top-1</c>) and the checkpoint step.
    /// </summary>
    public static string Csv(Comparison comparison)
    {
        var sb = new StringBuilder("table,run_id,run_name,series,step,x,value,smoothed\n");
        var names = comparison.Runs.ToDictionary(r => r.Id, r => r.Name);
        foreach (var chart in comparison.Charts)
            foreach (var curve in chart.Curves)
                for (int i = 0; i < curve.X.Length; i++)
                    Row(sb, "metric", curve.RunId, names[curve.RunId], chart.Metric, curve.Steps[i].ToString(CultureInfo.InvariantCulture),
                        Num(curve.X[i]), Num(curve.RawY[i]), Num(curve.Y[i]));
        foreach (var row in comparison.Evaluations)
            for (int r = 0; r < comparison.Runs.Count; r++)
                if (row.Values[r] is { } value)
                    Row(sb, "evaluation", comparison.Runs[r].Id, comparison.Runs[r].Name, $"{row.Label}: {row.Measure}", "", "", Num(value), "");
        return sb.ToString();
    }

    /// <summary>The view, the runs, the charted curves, the evaluation table, the config diff and the notes.</summary>
    public static string ToJson(Comparison comparison) => JsonSerializer.Serialize(new
    {
        query = comparison.View.ToQuery(),
        view = comparison.View,
        runs = comparison.Runs,
        missing = comparison.Missing,
        metrics = comparison.Charts.Select(c => new
        {
            metric = c.Metric,
            x = c.XLabel,
            curves = c.Curves.Select(curve => new { runId = curve.RunId, color = curve.Color, step = curve.Steps, x = curve.X, y = curve.Y, raw = curve.RawY }),
        }),
        evaluations = comparison.Evaluations.Select(e => new
        {
            protocol = e.Protocol, subject = e.Subject, labelsPerClass = e.LabelsPerClass, measure = e.Measure,
            values = comparison.Runs.Select((r, i) => new { runId = r.Id, value = e.Values[i], best = e.Best[i] }),
        }),
        diff = comparison.VisibleDiff.Select(d => new { section = d.Section, key = d.Key, values = d.Values, differs = d.Differs }),
        notes = comparison.Notes,
    }, Json);

    /// <summary>
    /// A page that opens offline from file://: no script, no external stylesheet; charts are inline SVG and maps are
    /// data: URIs. <paramref name="maps"/> holds the pictures of the view's images (empty when maps are unavailable).
    /// </summary>
    public static string Html(Comparison comparison, string title, IReadOnlyList<MapPicture> maps, string? mapsNote = null)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title><style>")
          .Append("body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}")
          .Append("td,th{border:1px solid #ddd;padding:3px 8px;font-size:13px;text-align:left}th{background:#f5f5f5}")
          .Append(".best{font-weight:bold;background:#e8f5e9}.swatch{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:middle}")
          .Append(".charts{display:flex;flex-wrap:wrap;gap:16px}.chart{flex:1 1 600px;max-width:680px}img{image-rendering:pixelated;width:112px;height:112px}")
          .Append("</style></head><body>");
        sb.Append("<h1>").Append(E(title)).Append("</h1><p>View: <code>").Append(E(comparison.View.ToQuery())).Append("</code></p>");

        sb.Append("<h2>Runs</h2><table><tr><th>run</th><th>id</th><th>status</th><th>dataset / tokenizer / objective</th><th>step</th></tr>");
        foreach (var run in comparison.Runs)
            sb.Append($"<tr><td><span class=\"swatch\" style=\"background:{run.Color}\"></span>{E(run.Name)}</td><td><code>{E(run.Id)}</code></td><td>{run.Status}</td>" +
                      $"<td>{E(run.Dataset)} / {E(run.Tokenizer)} / {E(run.Objective)}</td><td>{run.Step}/{run.TotalSteps}</td></tr>");
        sb.Append("</table>");
        foreach (string note in comparison.Notes) sb.Append("<p><em>").Append(E(note)).Append("</em></p>");

        sb.Append("<h2>Metrics</h2><div class=\"charts\">");
        foreach (var chart in comparison.Charts)
            sb.Append("<div class=\"chart\"><h3>").Append(E(chart.Metric)).Append("</h3>").Append(ComparisonSvg.Chart(chart, comparison.Runs)).Append("</div>");
        sb.Append("</div>");

        sb.Append("<h2>Evaluations</h2>");
        if (comparison.Evaluations.Count == 0) sb.Append("<p>No run has been evaluated.</p>");
        else
        {
            sb.Append("<table><tr><th>evaluation</th><th>measure</th>");
            foreach (var run in comparison.Runs) sb.Append("<th>").Append(E(run.Name)).Append("</th>");
            sb.Append("</tr>");
            foreach (var row in comparison.Evaluations)
            {
                sb.Append("<tr><td>").Append(E(row.Label)).Append("</td><td>").Append(E(row.Measure)).Append("</td>");
                for (int r = 0; r < comparison.Runs.Count; r++)
                    sb.Append(row.Best[r] ? "<td class=\"best\">" : "<td>").Append(row.Values[r] is { } v ? Percent(v) : "").Append("</td>");
                sb.Append("</tr>");
            }
            sb.Append("</table>");
        }

        sb.Append("<h2>Config").Append(comparison.View.DiffOnly ? " (keys that differ)" : "").Append("</h2><table><tr><th>section</th><th>key</th>");
        foreach (var run in comparison.Runs) sb.Append("<th>").Append(E(run.Name)).Append("</th>");
        sb.Append("</tr>");
        foreach (var row in comparison.VisibleDiff)
        {
            sb.Append("<tr><td>").Append(E(row.Section)).Append("</td><td><code>").Append(E(row.Key)).Append("</code></td>");
            foreach (string? value in row.Values) sb.Append("<td>").Append(E(value ?? "—")).Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append("</table>");

        if (comparison.Parallel is { } parallel)
            sb.Append("<h2>Parallel coordinates</h2>").Append(ComparisonSvg.Parallel(parallel, comparison.Runs));

        if (comparison.View.Images.Count > 0)
        {
            sb.Append("<h2>Maps (").Append(comparison.View.Map.ToString().ToLowerInvariant()).Append(")</h2>");
            if (mapsNote is not null) sb.Append("<p><em>").Append(E(mapsNote)).Append("</em></p>");
            sb.Append("<table><tr><th>image</th>");
            foreach (var run in comparison.Runs) sb.Append("<th>").Append(E(run.Name)).Append("</th>");
            sb.Append("</tr>");
            foreach (string image in comparison.View.Images)
            {
                sb.Append("<tr><td><code>").Append(E(image)).Append("</code></td>");
                foreach (var run in comparison.Runs)
                {
                    sb.Append("<td>");
                    foreach (var picture in maps.Where(m => m.RunId == run.Id && m.Image == image))
                        sb.Append(picture.DataUri is { } uri
                            ? $"<img src=\"{uri}\" alt=\"{E(picture.Kind)} {E(image)}\" title=\"{E(picture.Kind)}\">"
                            : $"<small>{E(picture.Kind)}: {E(picture.Error ?? "unavailable")}</small>");
                    sb.Append("</td>");
                }
                sb.Append("</tr>");
            }
            sb.Append("</table>");
        }
        sb.Append("</body></html>");
        return sb.ToString();
    }

    public static string Percent(double fraction) => double.IsFinite(fraction) ? fraction.ToString("P2", CultureInfo.InvariantCulture) : "n/a";

    private static void Row(StringBuilder sb, params string[] cells) =>
        sb.Append(string.Join(',', cells.Select(Cell))).Append('\n');

    // RFC 4180: quote cells that hold a comma, a quote or a line break.
    private static string Cell(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;

    private static string Num(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    private static string E(string text) => WebUtility.HtmlEncode(text);
}
