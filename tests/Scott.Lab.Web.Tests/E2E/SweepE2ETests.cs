using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Scott.Lab.Web.Tests.E2E;

/// <summary>
/// Issue 19, part 3's bar in a real browser: a 2×2 grid sweep launched from the New experiment form (the tiny preset
/// cut to 4 steps) completes, and its page compares the 4 runs, parallel coordinates included.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SweepE2ETests(BrowserPortalFixture fixture) : IClassFixture<BrowserPortalFixture>
{
    /// <summary>Four runs of 4 steps, one after the other (one slot): tens of seconds alone, generous for a loaded machine.</summary>
    private const int SweepTimeoutMs = 480_000;

    [BrowserFact]
    public async Task AGridSweepLaunchedFromTheFormCompletesAndItsPageComparesItsRuns()
    {
        var (portal, browser) = await fixture.StartAsync();
        var page = await PortalE2ETests.NewPageAsync(browser, new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
        try
        {
            await PortalE2ETests.GotoInteractiveAsync(page, portal.BaseUrl + "/experiments/new");
            await BrowserActions.ClickUntilEnabledAsync(page.GetByTestId("preset-tiny"), page.GetByTestId("launch"));
            string name = "sweep-" + Guid.NewGuid().ToString("N")[..6];
            await page.GetByTestId("run-name").FillAsync(name);

            // Few steps, small batches, a metrics row every 2 steps: a sweep of 4 runs stays cheap.
            await SetFieldAsync(page, "trainer", "trainer.steps", "4");
            await SetFieldAsync(page, "trainer", "trainer.batch_size", "16");
            await SetFieldAsync(page, "trainer", "trainer.log_every", "2");

            await SweepAsync(page, "optimizer", "optimizer.lr", "0.001, 0.003");
            await SweepAsync(page, "model", "model.depth", "1, 2");
            await Expect(page.GetByTestId("sweep-summary")).ToContainTextAsync("4 runs");
            await Expect(page.GetByTestId("launch")).ToContainTextAsync("Launch sweep (4 runs)");

            await BrowserActions.ActUntilUrlAsync(page, () => page.GetByTestId("launch").ClickAsync(), new Regex(@"/sweeps/sweep-[^/?#]+"));
            await Expect(page.GetByTestId("sweep-name")).ToContainTextAsync(name);
            var statuses = page.Locator("[data-testid^='sweep-run-status-']");
            await Expect(statuses).ToHaveCountAsync(4);

            await Expect(page.GetByTestId("sweep-progress")).ToHaveTextAsync("4 of 4 runs completed", new() { Timeout = SweepTimeoutMs });
            var comparison = page.GetByTestId("sweep-comparison");
            await Expect(comparison.Locator("[data-testid^='compare-run-']")).ToHaveCountAsync(4);
            for (int i = 1; i <= 4; i++) await Expect(comparison.GetByTestId("compare-runs")).ToContainTextAsync($"{name}-{i}");
            await Expect(comparison.GetByTestId("parallel-coordinates")).ToBeVisibleAsync();
            await Expect(comparison.GetByTestId("compare-charts")).ToBeVisibleAsync();

            if (Environment.GetEnvironmentVariable("SCOTT_LAB_SWEEP_SCREENSHOT") is { Length: > 0 } screenshot)
            {
                await page.EvaluateAsync("window.scrollTo(0, 0)"); // the app bar is fixed: at the top, not where the last check scrolled
                await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
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

    /// <summary>Opens a form section (an expansion panel) until the field's input shows.</summary>
    private static async Task<ILocator> OpenAsync(IPage page, string panel, ILocator inside)
    {
        if (await inside.IsVisibleAsync()) return inside; // open already: a click would close it
        await BrowserActions.ActUntilAsync(
            () => page.GetByTestId($"panel-{panel}").Locator(".mud-expand-panel-header").First.ClickAsync(),
            ms => Expect(inside).ToBeVisibleAsync(new() { Timeout = ms }));
        return inside;
    }

    private static async Task SetFieldAsync(IPage page, string panel, string key, string value)
    {
        var input = await OpenAsync(page, panel, page.Locator($"input[name='{key}']"));
        await BrowserActions.ActUntilAsync(() => input.FillAsync(value), ms => Expect(input).ToHaveValueAsync(value, new() { Timeout = ms }));
    }

    /// <summary>Turns on the field's sweep and types its values, until the form reads them (no sweep error for the field).</summary>
    private static async Task SweepAsync(IPage page, string panel, string key, string values)
    {
        var toggle = await OpenAsync(page, panel, page.GetByTestId($"sweep-toggle-{key}"));
        var input = page.GetByTestId($"sweep-values-{key}");
        await BrowserActions.ActUntilAsync(() => toggle.ClickAsync(), ms => Expect(input).ToBeVisibleAsync(new() { Timeout = ms }));
        await BrowserActions.ActUntilAsync(() => input.FillAsync(values),
            ms => Expect(page.GetByTestId($"sweep-error-{key}")).ToHaveCountAsync(0, new() { Timeout = ms }));
    }
}
