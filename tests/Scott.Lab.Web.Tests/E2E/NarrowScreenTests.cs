using System.Net.Http.Json;
using Microsoft.Playwright;
using Scott.Lab.Runs;
using Scott.Lab.Web.Hosting;
using Scott.Lab.Web.Tests.Integration;
using static Microsoft.Playwright.Assertions;

namespace Scott.Lab.Web.Tests.E2E;

/// <summary>
/// Issue 19: every page is usable at 390 px wide (a phone), and no page logs a console error. One finished tiny run
/// gives the run page and a comparison something to draw.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class NarrowScreenTests(BrowserPortalFixture fixture) : IClassFixture<BrowserPortalFixture>
{
    private const int PhoneWidth = 390;

    [BrowserFact]
    public async Task EveryPageFitsA390PixelScreenAndTheMenuIsADrawer()
    {
        var (portal, browser) = await fixture.StartAsync();
        string run = await FinishedTinyRunAsync(portal, "narrow-a", 4);
        string other = await FinishedTinyRunAsync(portal, "narrow-b", 3);
        var page = await PortalE2ETests.NewPageAsync(browser, new() { ViewportSize = new() { Width = PhoneWidth, Height = 844 } });
        var errors = ConsoleErrors(page);
        try
        {
            foreach (string path in Pages(run, other))
            {
                await PortalE2ETests.GotoInteractiveAsync(page, portal.BaseUrl + path);
                // Nothing wider than the screen: a cut-off table or a clipped menu makes the page scroll sideways.
                var (scroll, client, culprit) = await WidestAsync(page);
                Assert.True(scroll <= client + 1, $"{path} at {PhoneWidth} px is {scroll} px wide (sideways scrolling); widest element: {culprit}");
                await Expect(page.GetByTestId("nav-bar")).ToBeHiddenAsync();
            }

            // The menu is a drawer whose entries are whole words, and it navigates.
            await PortalE2ETests.GotoInteractiveAsync(page, portal.BaseUrl + "/");
            var entry = page.GetByTestId("drawer-new-experiment");
            await BrowserActions.ActUntilAsync(() => page.GetByTestId("nav-menu").ClickAsync(), ms => Expect(entry).ToBeVisibleAsync(new() { Timeout = ms }));
            await Expect(entry).ToContainTextAsync("New experiment");
            await Expect(entry).ToBeInViewportAsync(new() { Ratio = 1 }); // the drawer slides in: wait until it is all on screen
            var box = await entry.BoundingBoxAsync();
            Assert.True(box is not null && box.X >= 0 && box.X + box.Width <= PhoneWidth, $"the drawer entry is off screen: {box?.X}+{box?.Width}");
            await BrowserActions.ActUntilUrlAsync(page, () => entry.ClickAsync(), new System.Text.RegularExpressions.Regex("/experiments/new$"));

            Assert.True(errors.Count == 0, "console errors:\n" + string.Join("\n", errors));
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

    [BrowserFact]
    public async Task NoPageLogsAConsoleErrorOnAWideScreen()
    {
        var (portal, browser) = await fixture.StartAsync();
        string run = await FinishedTinyRunAsync(portal, "narrow-a", 4);
        string other = await FinishedTinyRunAsync(portal, "narrow-b", 3);
        var page = await PortalE2ETests.NewPageAsync(browser, new() { ViewportSize = new() { Width = 1400, Height = 900 } });
        var errors = ConsoleErrors(page);
        try
        {
            foreach (string path in Pages(run, other))
            {
                await PortalE2ETests.GotoInteractiveAsync(page, portal.BaseUrl + path);
                await Expect(page.GetByTestId("nav-bar")).ToBeVisibleAsync();
            }
            Assert.True(errors.Count == 0, "console errors:\n" + string.Join("\n", errors));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    /// <summary>Every page, the comparison with two runs whose configs differ (so it has a diff table).</summary>
    private static string[] Pages(string run, string other) =>
        ["/", "/runs", $"/runs/{run}", "/experiments/new", "/plugins", $"/compare?runs={run},{other}", "/snapshots"];

    /// <summary>Console errors and uncaught page errors, as they happen (a list: the page's events arrive on other threads).</summary>
    private static List<string> ConsoleErrors(IPage page)
    {
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") lock (errors) errors.Add($"{page.Url}: {message.Text}"); };
        page.PageError += (_, error) => { lock (errors) errors.Add($"{page.Url}: uncaught {error}"); };
        return errors;
    }

    /// <summary>The document's scroll width, the viewport's width, and the widest element that sticks out (for the message).</summary>
    private static async Task<(int Scroll, int Client, string Culprit)> WidestAsync(IPage page)
    {
        var result = await page.EvaluateAsync<WidthReport>("""
            () => {
              const client = document.documentElement.clientWidth;
              let culprit = '', right = client;
              // Inside a box that scrolls sideways (a wide table's own scroller) is fine: only what widens the page counts.
              const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; } return false; };
              for (const el of document.querySelectorAll('body *')) {
                if (scrolls(el)) continue;
                const r = el.getBoundingClientRect();
                if (r.width > 0 && r.right > right + 1) { right = r.right; culprit = el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').slice(0, 3).join('.') : '') + ' → ' + Math.round(r.right) + ' px'; }
              }
              return { scroll: document.documentElement.scrollWidth, client, culprit };
            }
            """);
        return (result.Scroll, result.Client, result.Culprit);
    }

    /// <summary>Playwright fills a class with a parameterless constructor and settable properties.</summary>
    private sealed class WidthReport
    {
        public int Scroll { get; set; }
        public int Client { get; set; }
        public string Culprit { get; set; } = "";
    }

    /// <summary>A tiny run of a few steps through the API, finished (one per name and portal: the second test reuses it).</summary>
    private static async Task<string> FinishedTinyRunAsync(PortalProcess portal, string name, int steps)
    {
        using var http = new HttpClient { BaseAddress = new Uri(portal.BaseUrl) };
        var existing = await http.GetFromJsonAsync<List<RunRecord>>("/api/runs", ApiResults.Json) ?? [];
        if (existing.FirstOrDefault(r => r.Name == name && r.Status == RunStatus.Completed) is { } done) return done.Id;
        var response = await http.PostAsync("/api/runs", Specs.Json(Specs.Tiny($"trainer.steps={steps}", $"name={name}")));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var run = (await response.Content.ReadFromJsonAsync<RunRecord>(ApiResults.Json))!;
        await Specs.WaitFor(http, run.Id, r => r.Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled or RunStatus.Interrupted, "the tiny run to end");
        var ended = await Specs.GetRun(http, run.Id);
        Assert.True(ended.Status == RunStatus.Completed, $"the tiny run ended {ended.Status}: {ended.Error}");
        return run.Id;
    }
}
