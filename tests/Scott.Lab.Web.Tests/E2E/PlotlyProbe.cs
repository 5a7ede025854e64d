using Microsoft.Playwright;

namespace Scott.Lab.Web.Tests.E2E;

/// <summary>
/// Reads a Plotly chart in the page (the portal's LineChart / ParallelChart) through plotly.js' own state on its
/// div: the traces it draws (<c>el.data</c>) and its axes as laid out (<c>el._fullLayout</c>). Waits are on states.
/// </summary>
public static class PlotlyProbe
{
    /// <summary>The plot div inside the element with this data-testid.</summary>
    public static string Plot(string testId) => $"[data-testid='{testId}'] .js-plotly-plot";

    /// <summary>Waits until the chart draws <paramref name="traces"/> traces (plotly.js loaded, the plot made).</summary>
    public static Task WaitForTracesAsync(IPage page, string testId, int traces, int timeoutMs = BrowserTimeouts.ExpectMs) =>
        page.WaitForFunctionAsync("([sel, n]) => { const el = document.querySelector(sel); return !!el && Array.isArray(el.data) && el.data.length === n; }",
            new object[] { Plot(testId), traces }, new() { Timeout = timeoutMs });

    public static Task<T> EvalAsync<T>(IPage page, string testId, string function) =>
        page.EvaluateAsync<T>($"sel => {{ const el = document.querySelector(sel); return ({function})(el); }}", Plot(testId));

    /// <summary>The x-axis range as plotly laid it out.</summary>
    public static async Task<double[]> XRangeAsync(IPage page, string testId) =>
        await EvalAsync<double[]>(page, testId, "el => el._fullLayout.xaxis.range.map(Number)");

    /// <summary>The plotting area (where hover and drag-to-zoom act), in page coordinates.</summary>
    public static async Task<LocatorBoundingBoxResult> PlotAreaAsync(IPage page, string testId) =>
        (await page.Locator($"{Plot(testId)} .nsewdrag").First.BoundingBoxAsync())!;
}
