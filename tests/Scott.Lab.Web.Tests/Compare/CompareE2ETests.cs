using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Scott.Lab.Runs;
using Scott.Lab.Web.Tests.E2E;
using Scott.Lab.Web.Tests.Plugins;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Scott.Lab.Web.Tests.Compare;

/// <summary>
/// Comparing and sharing in a real browser, against the real portal process. Finished runs are written straight
/// into the portal's store (shared-mode LiteDB) instead of being trained.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class CompareE2ETests(BrowserPortalFixture fixture, ITestOutputHelper output) : IClassFixture<BrowserPortalFixture>
{
    [BrowserFact]
    public async Task RunsAreComparedSharedAndExportedWithTheirViewInTheUrl()
    {
        var (portal, browser) = await fixture.StartAsync();
        string tag = Guid.NewGuid().ToString("N")[..6];
        RunRecord a, b;
        using (var store = new RunStore(portal.DataDir))
        {
            a = CompareSeed.FinishedRun(store, $"cmp-{tag}-narrow", 32, 0.71);
            b = CompareSeed.FinishedRun(store, $"cmp-{tag}-wide", 64, 0.83);
        }
        var page = await PortalE2ETests.NewPageAsync(browser);
        try
        {
            // Tick both runs in the list and compare them.
            await PortalE2ETests.GotoInteractiveAsync(page, portal.BaseUrl + "/runs");
            await page.GetByTestId("runs-search").FillAsync($"cmp-{tag}");
            await Expect(page.Locator("[data-testid^=run-row-]")).ToHaveCountAsync(2);
            await BrowserActions.CheckUntilAsync(page.GetByTestId($"select-{a.Id}"), page.GetByTestId("compare-selected"), "Compare (1)");
            await BrowserActions.CheckUntilAsync(page.GetByTestId($"select-{b.Id}"), page.GetByTestId("compare-selected"), "Compare (2)");
            await BrowserActions.ActUntilUrlAsync(page, () => page.GetByTestId("compare-selected").ClickAsync(new() { Timeout = 10_000 }),
                new Regex($@"/compare\?runs={a.Id},{b.Id}$"));
            await PlotlyProbe.WaitForTracesAsync(page, "plot-loss", 2);
            await Expect(page.GetByTestId("diff-row-model.width")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("eval-0-1")).ToHaveAttributeAsync("data-best", "true");

            // Smoothing and a second metric: both land in the URL.
            await BrowserActions.ActUntilUrlAsync(page,
                () => page.Locator("[data-testid=compare-smoothing] input").EvaluateAsync("el => { el.value = '0.6'; el.dispatchEvent(new Event('change', { bubbles: true })); }"),
                new Regex(@"smooth=0\.6"));
            await BrowserActions.ActUntilUrlAsync(page, async () =>
            {
                var box = page.GetByTestId("metric-lr");
                if (await box.IsCheckedAsync()) await box.UncheckAsync(); // checked but its change was lost: tick it again
                await box.CheckAsync(new() { Timeout = 10_000 });
            }, new Regex(@"metrics=loss,lr"));
            // Smoothed: each run is its smoothed curve and its faint raw curve.
            await PlotlyProbe.WaitForTracesAsync(page, "plot-lr", 4);
            string url = page.Url;
            Assert.Contains("smooth=0.6", url);

            // The copied URL in a fresh browser context shows the same view.
            var fresh = await PortalE2ETests.NewPageAsync(browser);
            try
            {
                await PortalE2ETests.GotoInteractiveAsync(fresh, url);
                await Expect(fresh.GetByTestId("compare-smoothing-value")).ToHaveTextAsync("0.60");
                await Expect(fresh.GetByTestId("metric-lr")).ToBeCheckedAsync();
                await Expect(fresh.GetByTestId("metric-loss")).ToBeCheckedAsync();
                await PlotlyProbe.WaitForTracesAsync(fresh, "plot-lr", 4);
                await PlotlyProbe.WaitForTracesAsync(fresh, "plot-loss", 4);
                const string drawn = "el => JSON.stringify(el.data.map(t => [t.name, t.x, t.y]))";
                Assert.Equal(await PlotlyProbe.EvalAsync<string>(page, "plot-loss", drawn), await PlotlyProbe.EvalAsync<string>(fresh, "plot-loss", drawn));
            }
            finally { await fresh.Context.CloseAsync(); }

            // Share: the link opens in a context that never saw this portal (no admin key, no session).
            await page.GetByTestId("share-title").FillAsync($"Width sweep {tag}");
            await page.GetByTestId("share").ClickAsync();
            string shareUrl = (await page.GetByTestId("share-link").GetAttributeAsync("href"))!;
            Assert.Matches(@"/share/[A-Za-z0-9_-]{22}$", shareUrl);
            var outsider = await PortalE2ETests.NewPageAsync(browser);
            try
            {
                await PortalE2ETests.GotoInteractiveAsync(outsider, shareUrl);
                await Expect(outsider.GetByTestId("share-title")).ToHaveTextAsync($"Width sweep {tag}");
                await PlotlyProbe.WaitForTracesAsync(outsider, "plot-lr", 4);
                await Expect(outsider.GetByTestId("compare-smoothing-value")).ToHaveTextAsync("0.60");
                await Expect(outsider.GetByTestId("share")).ToHaveCountAsync(0);
                await Expect(outsider.GetByTestId($"remove-run-{a.Id}")).ToHaveCountAsync(0);
            }
            finally { await outsider.Context.CloseAsync(); }

            // The exported HTML opens from file:// with its charts.
            string query = new Uri(url).Query;
            using var http = new HttpClient();
            string html = await http.GetStringAsync(portal.BaseUrl + "/api/compare/export.html" + query);
            string folder = TempFolder.Create("e2e-export");
            string file = Path.Combine(folder, "comparison.html");
            await File.WriteAllTextAsync(file, html);
            var offline = await PortalE2ETests.NewPageAsync(browser);
            try
            {
                await offline.Context.SetOfflineAsync(true);
                await offline.GotoAsync(new Uri(file).AbsoluteUri);
                await Expect(offline.Locator("svg")).ToHaveCountAsync(2);
                await Expect(offline.Locator("svg polyline")).ToHaveCountAsync(4);
                await Expect(offline.Locator("td.best")).Not.ToHaveCountAsync(0);
            }
            finally
            {
                await offline.Context.CloseAsync();
                TempFolder.TryDelete(folder);
            }
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Exception($"{e.Message}\nportal output:\n{portal.OutputTail}", e);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    // Where the page's time goes, logged with the total: when plotly.js was fetched and evaluated, and when each
    // Plotly.newPlot / react started and finished (hooked as the script assigns window.Plotly).
    private const string PlotTimingScript = """
        (() => {
          const calls = []; let plotly, loadedAt = null;
          Object.defineProperty(window, 'Plotly', { configurable: true, get: () => plotly, set: v => {
            loadedAt = performance.now();
            for (const name of ['newPlot', 'react']) {
              const original = v[name];
              v[name] = function (...args) {
                const start = performance.now();
                const chart = document.getElementById(args[0])?.closest('[data-testid]')?.dataset.testid ?? args[0];
                const done = () => calls.push(`${name} ${chart} (${(args[1] ?? []).length} traces) ${Math.round(start)}-${Math.round(performance.now())}`);
                const result = original.apply(this, args);
                Promise.resolve(result).then(done, done);
                return result;
              };
            }
            plotly = v;
          }});
          window.__plotTiming = () => {
            const resources = performance.getEntriesByType('resource');
            const plotlyJs = resources.find(e => /plotly-(basic-)?\d/.test(e.name));
            const blazor = resources.find(e => e.name.includes('blazor.web'));
            const at = e => e ? Math.round(e.startTime) + '-' + Math.round(e.responseEnd) : 'not fetched';
            return `blazor.web.js ${at(blazor)}; plotly.js ${at(plotlyJs)}, evaluated at ${Math.round(loadedAt ?? -1)}; ${calls.length} plot calls: ${calls.join(', ')}`;
          };
        })();
        """;

    /// <summary>Not a timing assertion: logs how long five runs of 20,000 metric rows take to open, cold and warm.</summary>
    [BrowserFact]
    public async Task FiveLongRunsOpenAndTheLoadTimeIsLogged()
    {
        var (portal, browser) = await fixture.StartAsync();
        var ids = new List<string>();
        using (var store = new RunStore(portal.DataDir))
            for (int r = 0; r < 5; r++)
            {
                var run = store.Create(new RunRecord { Name = $"long-{r}", Status = RunStatus.Completed, TotalSteps = 20_000, Step = 20_000, Spec = new System.Text.Json.Nodes.JsonObject { ["model"] = new System.Text.Json.Nodes.JsonObject { ["width"] = 32 * (r + 1) } } });
                store.AppendMetricRows(run.Id, Enumerable.Range(0, 20_000).Select(s => ((long)s, (IReadOnlyDictionary<string, double>)new Dictionary<string, double>
                {
                    ["loss"] = 2.0 / (1 + s / 500.0) + r * 0.01, ["lr"] = 1e-3, ["wall_seconds"] = s * 0.5, ["health/std"] = 0.9,
                })));
                ids.Add(run.Id);
            }
        var page = await PortalE2ETests.NewPageAsync(browser);
        await page.AddInitScriptAsync(PlotTimingScript);
        try
        {
            // Warm the portal itself first (circuit, page and MudBlazor JIT), so that "cold" measures this comparison's data.
            await page.GotoAsync($"{portal.BaseUrl}/runs");
            await Expect(page.Locator($"[data-testid=run-row-{ids[0]}]")).ToHaveCountAsync(1, new() { Timeout = 60_000 });
            foreach (string pass in new[] { "cold", "warm" })
            {
                var clock = Stopwatch.StartNew();
                await page.GotoAsync($"{portal.BaseUrl}/compare?runs={string.Join(',', ids)}");
                // A cold pass reads 100,000 rows on a busy machine, and the browser loads plotly.js the first time.
                await PlotlyProbe.WaitForTracesAsync(page, "plot-loss", 5, (int)BrowserTimeouts.Interactive.TotalMilliseconds);
                output.WriteLine($"compare page, 5 runs × 20,000 rows, {pass}: {clock.ElapsedMilliseconds} ms to the drawn charts");
                output.WriteLine("  in the page (ms since navigation): " + await page.EvaluateAsync<string>("() => window.__plotTiming()"));
            }
            // Downsampled on the server: no trace the browser gets carries more than ComparisonLoader.MaxPoints points.
            int[] points = await PlotlyProbe.EvalAsync<int[]>(page, "plot-loss", "el => el.data.map(t => t.x.length)");
            Assert.All(points, n => Assert.InRange(n, 100, Runs.Comparison.ComparisonLoader.MaxPoints));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
