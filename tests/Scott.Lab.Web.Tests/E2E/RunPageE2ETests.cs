using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Scott.Lab.Runs;
using Scott.Lab.Web.Tests.Integration;
using static Microsoft.Playwright.Assertions;

namespace Scott.Lab.Web.Tests.E2E;

/// <summary>
/// Issue 19, parts 4 and 5, in Debian's chromium against the real portal: an evaluation shows its phase, a bar and
/// an ETA while the Evaluate button is disabled, it can be cancelled with a clear message, the Resources tab shows
/// the processes' samples, and a checkpoint downloads as a zip of its folder.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class RunPageE2ETests(BrowserPortalFixture fixture) : IClassFixture<BrowserPortalFixture>
{
    /// <summary>Set to a folder to save the screenshots the docs use (run-evaluation-progress.png, run-resources.png).</summary>
    public const string ScreenshotsVariable = "SCOTT_LAB_RUNPAGE_SCREENSHOTS";

    // Resource samples every second (default 10 s), so that an evaluation cancelled after some seconds has some.
    // Set before this class's portal starts (the fixture starts it on first use); its workers inherit it.
    static RunPageE2ETests() => Environment.SetEnvironmentVariable(Cli.Recording.ResourceSampler.IntervalVariable, "1");

    private static Task OpenTab(IPage page, string testId, string name, ILocator opened) =>
        BrowserActions.ActUntilAsync(() => page.GetByTestId(testId).Or(page.GetByRole(AriaRole.Tab, new() { Name = name })).First.ClickAsync(),
            ms => opened.WaitForAsync(new() { Timeout = ms }));

    [BrowserFact]
    public async Task EvaluationProgressIsVisibleItCanBeCancelledAndACheckpointDownloads()
    {
        var (portal, browser) = await fixture.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(portal.BaseUrl) };
        var launched = await http.PostAsync("/api/runs", Specs.Json(Specs.Tiny("trainer.steps=6", "trainer.batch_size=16", "trainer.checkpoint_every=3", "name=runpage-e2e")));
        string body = await launched.Content.ReadAsStringAsync();
        Assert.True(launched.IsSuccessStatusCode, body);
        string id = (string)JsonNode.Parse(body)!["id"]!;
        var run = await Specs.WaitFor(http, id, r => r.Status is RunStatus.Completed or RunStatus.Failed, "Completed");
        Assert.True(run.Status == RunStatus.Completed, run.Error);
        string? shots = Environment.GetEnvironmentVariable(ScreenshotsVariable);

        var page = await PortalE2ETests.NewPageAsync(browser, new() { ViewportSize = new() { Width = 1280, Height = 900 }, AcceptDownloads = true });
        try
        {
            await PortalE2ETests.GotoInteractiveAsync(page, $"{portal.BaseUrl}/runs/{id}");
            await OpenTab(page, "tab-evaluations", "Evaluations", page.GetByTestId("evaluate"));

            // Evaluate (linear, the default): the progress panel shows its phase, a bar and an ETA; Evaluate is disabled.
            await BrowserActions.ActUntilAsync(() => page.GetByTestId("evaluate").ClickAsync(new() { Timeout = 10_000 }),
                ms => page.GetByTestId("eval-progress").WaitForAsync(new() { Timeout = ms }));
            await Expect(page.GetByTestId("evaluate")).ToBeDisabledAsync();
            await Expect(page.GetByTestId("eval-phase")).ToContainTextAsync(new Regex("Training the linear probe: epoch \\d+/\\d+"),
                new() { Timeout = 180_000 });
            await Expect(page.GetByTestId("eval-eta")).ToContainTextAsync(new Regex("left in this phase"));
            await Expect(page.GetByTestId("eval-eta")).ToContainTextAsync("features test");
            await Expect(page.GetByTestId("eval-state")).ToHaveTextAsync("Running");
            if (shots is not null) await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "run-evaluation-progress.png"), FullPage = true });

            // Cancel: the eval stops, the run is untouched, the message says so.
            // Clicked again only while the button is still there (a second cancel of a stopping eval is harmless).
            var cancel = page.GetByTestId("eval-cancel");
            await BrowserActions.ActUntilAsync(async () => { if (await cancel.IsVisibleAsync()) await cancel.ClickAsync(new() { Timeout = 10_000 }); },
                ms => Expect(page.GetByTestId("eval-state")).ToHaveTextAsync("Cancelled", new() { Timeout = ms }));
            await Expect(page.GetByTestId("eval-message")).ToContainTextAsync("the run and its earlier evaluations are untouched");
            await Expect(page.GetByTestId("evaluate")).ToBeEnabledAsync();
            await Expect(page.GetByTestId("run-status")).ToHaveTextAsync(new Regex("^\\s*Completed\\s*$"));

            // Resources: the worker's and the evaluation's samples, as charts.
            await OpenTab(page, "tab-resources", "Resources", page.GetByTestId("resources-worker").Or(page.GetByTestId("resources-none")).First);
            await Expect(page.GetByTestId("resources-eval")).ToBeVisibleAsync(new() { Timeout = 60_000 });
            // The interactive charts say how many points they drew.
            await Expect(page.GetByTestId("plot-eval cpu %")).Not.ToHaveAttributeAsync("data-points", "0");
            await Expect(page.GetByTestId("plot-eval rss MB")).Not.ToHaveAttributeAsync("data-points", "0");
            if (shots is not null) await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "run-resources.png"), FullPage = true });

            // A checkpoint downloads: a zip of its folder.
            await OpenTab(page, "tab-checkpoints", "Checkpoints", page.GetByTestId("run-checkpoint-folders"));
            var link = page.GetByTestId("checkpoint-download-step-00000006");
            var download = await page.RunAndWaitForDownloadAsync(() => link.ClickAsync());
            Assert.Equal($"runpage-e2e-step-00000006.zip", download.SuggestedFilename);
            string saved = Path.Combine(Path.GetTempPath(), $"scott-lab-e2e-{Guid.NewGuid():N}.zip");
            await download.SaveAsAsync(saved);
            try
            {
                using var zip = ZipFile.OpenRead(saved);
                Assert.Contains("step-00000006/state.json", zip.Entries.Select(e => e.FullName));
                var onDisk = Directory.EnumerateFiles(Path.Combine(run.Directory, "checkpoints", "step-00000006"), "*", SearchOption.AllDirectories).ToList();
                Assert.Equal(onDisk.Count, zip.Entries.Count);
                Assert.Equal(onDisk.Sum(f => new FileInfo(f).Length), zip.Entries.Sum(e => e.Length));
            }
            finally { File.Delete(saved); }
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
