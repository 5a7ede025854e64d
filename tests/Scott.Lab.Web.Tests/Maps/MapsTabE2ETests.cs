using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Scott.Lab.Runs;
using Scott.Lab.Web.Tests.E2E;
using Scott.Lab.Web.Tests.Integration;
using static Microsoft.Playwright.Assertions;

namespace Scott.Lab.Web.Tests.Maps;

/// <summary>
/// The run page's Maps tab in Debian's chromium against the real portal: a tiny run launched through the API (a
/// worker process, 6 steps), then two images picked, their PCA and attention PNGs loaded and not uniform, and a
/// click on a patch turning the attention view into that patch's row (from=...).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class MapsTabE2ETests(BrowserPortalFixture fixture) : IClassFixture<BrowserPortalFixture>
{
    /// <summary>Size, natural width and number of distinct colours of an &lt;img&gt;, read through a canvas (same origin: not tainted).</summary>
    private const string ReadPixels = """
        el => {
            const canvas = document.createElement('canvas');
            canvas.width = el.naturalWidth; canvas.height = el.naturalHeight;
            const g = canvas.getContext('2d');
            g.drawImage(el, 0, 0);
            const data = g.getImageData(0, 0, canvas.width, canvas.height).data;
            const colours = new Set();
            for (let i = 0; i < data.length; i += 4) colours.add(data[i] + ',' + data[i + 1] + ',' + data[i + 2]);
            return [el.naturalWidth, colours.size];
        }
        """;

    private static async Task<(int NaturalWidth, int Colours)> LoadedPixels(IPage page, string testId)
    {
        var image = page.GetByTestId(testId);
        await image.WaitForAsync();
        await page.WaitForFunctionAsync("id => { const el = document.querySelector(`[data-testid=\"${id}\"]`); return el && el.complete && el.naturalWidth > 0; }",
            testId, new() { Timeout = 60_000 });
        var result = await image.EvaluateAsync<int[]>(ReadPixels);
        return (result[0], result[1]);
    }

    [BrowserFact]
    public async Task Two_picked_images_show_pca_and_attention_maps_and_a_click_shows_that_patchs_attention()
    {
        var (portal, browser) = await fixture.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(portal.BaseUrl) };
        var launched = await http.PostAsync("/api/runs", Specs.Json(Specs.Tiny("trainer.steps=6", "trainer.batch_size=16", "trainer.checkpoint_every=3", "name=maps-e2e")));
        string body = await launched.Content.ReadAsStringAsync();
        Assert.True(launched.IsSuccessStatusCode, body);
        string id = (string)JsonNode.Parse(body)!["id"]!;
        var run = await Specs.WaitFor(http, id, r => r.Status is RunStatus.Completed or RunStatus.Failed, "Completed");
        Assert.True(run.Status == RunStatus.Completed, run.Error);

        var page = await PortalE2ETests.NewPageAsync(browser, new() { ViewportSize = new() { Width = 1280, Height = 1000 } });
        var context = page.Context;
        try
        {
            await PortalE2ETests.GotoInteractiveAsync(page, $"{portal.BaseUrl}/runs/{id}");
            await page.GetByTestId("tab-maps").Or(page.GetByRole(AriaRole.Tab, new() { Name = "Maps" })).First.ClickAsync();
            try { await page.GetByTestId("maps-tab").WaitForAsync(); }
            catch (TimeoutException) { Assert.Fail($"the Maps tab did not open; portal output:\n{portal.OutputTail}"); }
            await Expect(page.GetByTestId("map-checkpoint")).ToBeVisibleAsync(new() { Timeout = 60_000 });
            var thumbs = page.Locator("[data-testid^=map-thumb-]");
            await Expect(thumbs).ToHaveCountAsync(24);
            string[] picked = [];
            foreach (int i in new[] { 0, 5 })
            {
                string testId = (await thumbs.Nth(i).GetAttributeAsync("data-testid"))!;
                picked = [.. picked, testId["map-thumb-".Length..]];
                await thumbs.Nth(i).ClickAsync();
            }
            var (thumbWidth, thumbColours) = await LoadedPixels(page, $"map-thumb-{picked[0]}");
            Assert.Equal(64, thumbWidth);
            Assert.True(thumbColours > 1, "a uniform thumbnail");

            foreach (string image in picked)
                foreach (string view in new[] { "original", "pca", "attention" })
                {
                    var (width, colours) = await LoadedPixels(page, $"map-{view}-{image}");
                    Assert.True(width > 0, $"{view} of {image} did not load");
                    Assert.True(colours > 1, $"{view} of {image}: every pixel has the same colour");
                }
            // Both images are in each PCA's set, so that their colours match.
            string pcaSrc = (await page.GetByTestId($"map-pca-{picked[0]}").GetAttributeAsync("src"))!;
            Assert.Contains(Uri.EscapeDataString(string.Join(',', picked)), pcaSrc);

            // A click on a patch: the attention view becomes that patch's row. 192 px for 7 patches: (150, 100) is row 3, column 5.
            var attention = page.GetByTestId($"map-attention-{picked[1]}");
            Assert.DoesNotContain("from=", await attention.GetAttributeAsync("src"));
            await attention.ClickAsync(new() { Position = new() { X = 150, Y = 100 } });
            await Expect(attention).ToHaveAttributeAsync("src", new Regex("from=26(&|$)"));
            await Expect(page.GetByTestId($"map-from-{picked[1]}")).ToContainTextAsync("row 3, column 5");
            var (fromWidth, fromColours) = await LoadedPixels(page, $"map-attention-{picked[1]}");
            Assert.True(fromWidth > 0 && fromColours > 1, "the attention-from picture is empty or uniform");
            await attention.ClickAsync(new() { Position = new() { X = 5, Y = 5 } });
            await Expect(attention).ToHaveAttributeAsync("src", new Regex("from=0(&|$)"));

            if (Environment.GetEnvironmentVariable("SCOTT_LAB_MAPS_SCREENSHOT") is { Length: > 0 } screenshot)
                await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Exception($"{e.Message}\nportal output:\n{portal.OutputTail}", e);
        }
        finally
        {
            await context.CloseAsync();
        }
    }
}
