using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Scott.Lab.Runs;
using Scott.Lab.Web.Tests.Compare;
using Scott.Lab.Web.Tests.Integration;
using static Microsoft.Playwright.Assertions;

namespace Scott.Lab.Web.Tests.E2E;

/// <summary>
/// The interactive charts in a real browser (issue 19): on the compare page, hovering shows every run's value at one
/// step, dragging zooms, the log-scale switch turns the axis to log; on the run page a series of one row is drawn as
/// a point. The browser console must stay free of errors. With SCOTT_LAB_SCREENSHOTS=1 the test also refreshes the
/// README's pictures (docs/images/charts.png and compare.png); otherwise they go to the test's temp folder.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ChartsE2ETests(BrowserPortalFixture fixture) : IClassFixture<BrowserPortalFixture>
{
    [BrowserFact]
    public async Task ChartsHoverZoomTakeALogScaleAndDrawASinglePoint()
    {
        var (portal, browser) = await fixture.StartAsync();
        string tag = Guid.NewGuid().ToString("N")[..6];
        RunRecord a, b, c, single;
        using (var store = new RunStore(portal.DataDir))
        {
            a = CompareSeed.FinishedRun(store, $"charts-{tag}-narrow", 32, 0.71);
            b = CompareSeed.FinishedRun(store, $"charts-{tag}-wide", 64, 0.83, lr: 0.002);
            c = CompareSeed.FinishedRun(store, $"charts-{tag}-widest", 96, 0.78);
            single = store.Create(new RunRecord { Name = $"charts-{tag}-one-row", Status = RunStatus.Completed, TotalSteps = 10, Step = 10, LastLoss = 0.25 });
            store.AppendMetrics(single.Id, 10, new Dictionary<string, double> { ["loss"] = 0.25, ["lr"] = 1e-3 });
        }
        var page = await PortalE2ETests.NewPageAsync(browser, new() { ViewportSize = new() { Width = 1280, Height = 1000 } });
        var consoleErrors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") consoleErrors.Add(message.Text); };
        page.PageError += (_, error) => consoleErrors.Add(error);
        try
        {
            await PortalE2ETests.GotoInteractiveAsync(page, $"{portal.BaseUrl}/compare?runs={a.Id},{b.Id},{c.Id}");
            await PlotlyProbe.WaitForTracesAsync(page, "plot-loss", 3);
            await Expect(page.Locator($"{PlotlyProbe.Plot("plot-loss")} .legendtext")).ToHaveCountAsync(3);
            // Parallel coordinates: a line per run, and an axis (a shape) per differing key and the metric.
            await PlotlyProbe.WaitForTracesAsync(page, "parallel-plot", 3);
            int axes = int.Parse((await page.GetByTestId("parallel-plot").GetAttributeAsync("data-axes"))!);
            Assert.Equal(axes, await PlotlyProbe.EvalAsync<int>(page, "parallel-plot", "el => el._fullLayout.shapes.length"));
            // The mouse on the widest run's point on the first axis: the hover box names the run and lists its values.
            await page.GetByTestId("parallel-plot").ScrollIntoViewIfNeededAsync();
            var vertex = await PlotlyProbe.EvalAsync<float[]>(page, "parallel-plot",
                "el => { const xa = el._fullLayout.xaxis, ya = el._fullLayout.yaxis, r = el.getBoundingClientRect(), t = el.data[2];" +
                " return [r.left + xa._offset + xa.l2p(t.x[0]), r.top + ya._offset + ya.l2p(t.y[0])]; }");
            await BrowserActions.ActUntilAsync(
                async () => { await page.Mouse.MoveAsync(vertex[0] + 30, vertex[1] + 30); await page.Mouse.MoveAsync(vertex[0], vertex[1], new() { Steps = 3 }); },
                ms => Expect(page.Locator($"{PlotlyProbe.Plot("parallel-plot")} .hoverlayer")).ToContainTextAsync(c.Name, new() { Timeout = ms }));
            await Expect(page.Locator($"{PlotlyProbe.Plot("parallel-plot")} .hoverlayer")).ToContainTextAsync("width = 96");
            await page.EvaluateAsync("window.scrollTo(0, 0)");

            // Hover in the middle of the plot: one box lists every run's value at the same step ('x unified').
            await PlotlyProbe.EvalAsync<bool>(page, "plot-loss",
                "el => { window.__hover = null; el.on('plotly_hover', d => { window.__hover = d.points.map(p => ({ name: p.data.name, x: p.x, y: p.y })); }); return true; }");
            var area = await PlotlyProbe.PlotAreaAsync(page, "plot-loss");
            await BrowserActions.ActUntilAsync(
                async () => { await page.Mouse.MoveAsync(area.X + 5, area.Y + 5); await page.Mouse.MoveAsync(area.X + area.Width / 2, area.Y + area.Height / 2, new() { Steps = 4 }); },
                ms => page.WaitForFunctionAsync("() => window.__hover && window.__hover.length === 3", null, new() { Timeout = ms }));
            var hovered = await page.EvaluateAsync<HoverPoint[]>("() => window.__hover");
            Assert.Equal([a.Name, b.Name, c.Name], hovered.Select(p => p.Name).Order());
            Assert.Single(hovered.Select(p => p.X).Distinct()); // one step, every run
            await Expect(page.Locator($"{PlotlyProbe.Plot("plot-loss")} .hoverlayer")).ToContainTextAsync(b.Name);
            await page.Locator("[data-testid=compare-chart-loss]").ScreenshotAsync(new() { Path = Picture("charts.png") });

            // Drag across the middle of the plot: the x-axis zooms in to that span.
            double[] before = await PlotlyProbe.XRangeAsync(page, "plot-loss");
            await page.Mouse.MoveAsync(area.X + area.Width * 0.3f, area.Y + area.Height / 2);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(area.X + area.Width * 0.6f, area.Y + area.Height / 2, new() { Steps = 8 });
            await page.Mouse.UpAsync();
            await page.WaitForFunctionAsync("([sel, span]) => { const r = document.querySelector(sel)._fullLayout.xaxis.range; return r[1] - r[0] < span * 0.5; }",
                new object[] { PlotlyProbe.Plot("plot-loss"), before[1] - before[0] });
            double[] zoomed = await PlotlyProbe.XRangeAsync(page, "plot-loss");
            Assert.True(zoomed[0] > before[0] && zoomed[1] < before[1], $"zoomed {zoomed[0]}..{zoomed[1]} is not inside {before[0]}..{before[1]}");

            // The log-scale switch: into the URL, and the y-axis is logarithmic.
            await BrowserActions.ActUntilUrlAsync(page, async () =>
            {
                var box = page.GetByTestId("compare-log");
                if (await box.IsCheckedAsync()) await box.UncheckAsync();
                await box.CheckAsync(new() { Timeout = 10_000 });
            }, new Regex(@"log=1"));
            await page.WaitForFunctionAsync("sel => document.querySelector(sel)?._fullLayout?.yaxis?.type === 'log'", PlotlyProbe.Plot("plot-loss"));
            await page.Mouse.MoveAsync(0, 0);
            await page.ScreenshotAsync(new() { Path = Picture("compare.png"), FullPage = true });

            // The run page: a metric logged once is a visible point (a line of one point draws nothing).
            await PortalE2ETests.GotoInteractiveAsync(page, $"{portal.BaseUrl}/runs/{single.Id}");
            await BrowserActions.ActUntilAsync(() => page.GetByRole(AriaRole.Tab, new() { Name = "Charts" }).ClickAsync(new() { Timeout = 10_000 }),
                ms => Expect(page.GetByTestId("plot-loss")).ToBeVisibleAsync(new() { Timeout = ms }));
            await PlotlyProbe.WaitForTracesAsync(page, "plot-loss", 1);
            await Expect(page.Locator($"{PlotlyProbe.Plot("plot-loss")} .scatterlayer .point")).ToHaveCountAsync(1);
            await Expect(page.GetByTestId("plot-loss-caption")).ToHaveTextAsync("step 10: 0.25");
            await Expect(page.GetByTestId("run-progress")).ToContainTextAsync("step 10/10");

            Assert.True(consoleErrors.Count == 0, "browser console errors:\n" + string.Join("\n", consoleErrors));
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Exception($"{e.Message}\nbrowser console errors: {string.Join(" | ", consoleErrors)}\nportal output:\n{portal.OutputTail}", e);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    public sealed class HoverPoint
    {
        public string Name { get; set; } = "";
        public double X { get; set; }
        public double Y { get; set; }
    }

    /// <summary>docs/images/NAME when SCOTT_LAB_SCREENSHOTS=1 (refreshing the README's pictures), else a temp file.</summary>
    private static string Picture(string name) =>
        Environment.GetEnvironmentVariable("SCOTT_LAB_SCREENSHOTS") == "1"
            ? Path.Combine(Specs.RepoRoot, "docs", "images", name)
            : Path.Combine(Path.GetTempPath(), $"scott-lab-e2e-{Environment.ProcessId}-{name}");
}
