using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Scott.Lab.Runs;
using static Microsoft.Playwright.Assertions;

namespace Scott.Lab.Web.Tests.E2E;

/// <summary>
/// The runs table in a real browser: five finished runs of 20,000 metric rows each, written straight into the portal's
/// store (no training); a config column and a metric column are added from the picker, survive a reload (the URL),
/// a filter narrows the rows and a bad one says what is wrong. Also usable at 390 px, without console errors.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RunsTableE2ETests(BrowserPortalFixture fixture) : IClassFixture<BrowserPortalFixture>
{
    private const int Rows = 20_000;

    private static List<RunRecord> Seed(RunStore store, string tag)
    {
        var runs = new List<RunRecord>();
        for (int r = 0; r < 5; r++)
        {
            string objective = r < 3 ? "mim-jepa" : "mae";
            var run = store.Create(new RunRecord
            {
                Name = $"tbl-{tag}-{r}", Status = RunStatus.Completed, Dataset = "fashion-mnist-sample", Tokenizer = "scott", Objective = objective,
                TotalSteps = Rows, Step = Rows, Tags = [$"tbl-{tag}"],
                History = [new StatusChange { Status = RunStatus.Running, AtUtc = DateTime.UtcNow.AddMinutes(-30 - r) }, new StatusChange { Status = RunStatus.Completed, AtUtc = DateTime.UtcNow }],
                Spec = new JsonObject
                {
                    ["objective"] = new JsonObject { ["id"] = objective },
                    ["model"] = new JsonObject { ["width"] = 32 * (r + 1) },
                },
            });
            store.AppendMetricRows(run.Id, Enumerable.Range(0, Rows).Select(s => ((long)s, (IReadOnlyDictionary<string, double>)new Dictionary<string, double>
            {
                ["loss"] = 2.0 / (1 + s / 500.0) + r * 0.01, ["lr"] = 1e-3, ["wall_seconds"] = s * 0.5,
            })));
            store.AddEvaluation(new EvaluationRecord { RunId = run.Id, Protocol = "linear", Top1 = 0.70 + 0.05 * r, Top5 = 0.99 });
            runs.Add(run);
        }
        return runs;
    }

    private static Task AddColumnAsync(IPage page, string key, Regex url) =>
        BrowserActions.ActUntilUrlAsync(page, async () =>
        {
            var input = page.Locator("input[data-testid=add-column], [data-testid=add-column] input").First;
            await input.ClickAsync(new() { Timeout = 10_000 });
            await input.FillAsync(key, new() { Timeout = 10_000 });
            await page.GetByTestId($"column-option-{key}").ClickAsync(new() { Timeout = 10_000 });
        }, url);

    [BrowserFact]
    public async Task AConfigAndAMetricColumnAreAddedSurviveAReloadAndAFilterNarrowsTheRows()
    {
        var (portal, browser) = await fixture.StartAsync();
        string tag = Guid.NewGuid().ToString("N")[..6];
        List<RunRecord> runs;
        using (var store = new RunStore(portal.DataDir))
            runs = Seed(store, tag);

        var page = await PortalE2ETests.NewPageAsync(browser, new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };
        page.PageError += (_, error) => errors.Add(error);
        try
        {
            await PortalE2ETests.GotoInteractiveAsync(page, $"{portal.BaseUrl}/runs?q=tbl-{tag}");
            await Expect(page.Locator("[data-testid^=run-row-]")).ToHaveCountAsync(5);

            await AddColumnAsync(page, "model.width", new Regex(@"cols=model\.width"));
            await AddColumnAsync(page, "metric.loss.best", new Regex(@"cols=model\.width,metric\.loss\.best"));
            var last = page.GetByTestId($"run-row-{runs[4].Id}");
            await Expect(last.GetByTestId("cell-model.width")).ToHaveTextAsync("160");
            await Expect(last.GetByTestId("cell-metric.loss.best")).ToHaveTextAsync("0.0888"); // 2/(1 + 19999/500) + 0.04
            await Expect(page.Locator($"[data-testid=spark-{runs[0].Id}] polyline")).ToHaveCountAsync(1);

            // A reload keeps the view: it is the URL.
            await PortalE2ETests.GotoInteractiveAsync(page, page.Url);
            await Expect(page.GetByTestId("col-model.width")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("col-metric.loss.best")).ToBeVisibleAsync();
            await Expect(page.GetByTestId($"run-row-{runs[0].Id}").GetByTestId("cell-model.width")).ToHaveTextAsync("32");

            // A filter narrows the rows (and joins the URL); a bad one says where and what.
            var filter = page.GetByTestId("runs-filter");
            await BrowserActions.ActUntilUrlAsync(page, async () =>
            {
                await filter.FillAsync("objective.id = mim-jepa and eval.linear.top1 > 0.72", new() { Timeout = 10_000 });
                await filter.PressAsync("Enter", new() { Timeout = 10_000 });
            }, new Regex(@"filter=objective\.id"));
            await Expect(page.Locator("[data-testid^=run-row-]")).ToHaveCountAsync(2);
            await Expect(page.GetByTestId($"run-row-{runs[1].Id}")).ToBeVisibleAsync();
            await Expect(page.GetByTestId($"run-row-{runs[2].Id}")).ToBeVisibleAsync();

            await BrowserActions.ActUntilUrlAsync(page, async () =>
            {
                await filter.FillAsync("eval.lin.top1 > 0.8", new() { Timeout = 10_000 });
                await filter.PressAsync("Enter", new() { Timeout = 10_000 });
            }, new Regex(@"filter=eval\.lin\.top1"));
            await Expect(page.GetByTestId("runs-filter-error")).ToContainTextAsync("unknown column 'eval.lin.top1' at 1:1 (did you mean 'eval.linear.top1'?)");

            // Grouped by objective, with an evaluation column: the picture in the docs.
            string view = $"{portal.BaseUrl}/runs?q=tbl-{tag}&cols=model.width,metric.loss.best,eval.linear.top1&group=objective&sort=-model.width";
            await PortalE2ETests.GotoInteractiveAsync(page, view);
            await Expect(page.Locator("[data-testid^=group-]")).ToHaveCountAsync(2);
            await Expect(page.GetByTestId($"run-row-{runs[3].Id}").GetByTestId("cell-eval.linear.top1")).ToHaveTextAsync("0.85");
            await Expect(last.Locator("td").Nth(5)).ToContainTextAsync("0.0888"); // Last loss: from the rows when the run never reported one
            if (Environment.GetEnvironmentVariable("SCOTT_LAB_RUNS_SCREENSHOT") is { Length: > 0 } screenshot)
            {
                await page.SetViewportSizeAsync(1600, 800);
                await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
            }

            // 390 px wide: the table scrolls in its box, the page does not.
            await page.SetViewportSizeAsync(390, 844);
            await Expect(page.GetByTestId("runs-table")).ToBeVisibleAsync();
            int overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
            Assert.True(overflow <= 1, $"at 390 px the page is {overflow} px wider than the window");
            if (Environment.GetEnvironmentVariable("SCOTT_LAB_RUNS_SCREENSHOT_NARROW") is { Length: > 0 } narrow)
                await page.ScreenshotAsync(new() { Path = narrow, FullPage = true });

            Assert.Empty(errors);
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
}
