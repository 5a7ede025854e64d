using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Scott.Lab.Web.Tests.Plugins;
using static Microsoft.Playwright.Assertions;

namespace Scott.Lab.Web.Tests.E2E;

/// <summary>
/// One real portal process and one headless Debian chromium for the browser tests, started on first use (so that
/// skipped tests start nothing) and stopped after the class.
/// </summary>
public sealed class BrowserPortalFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private PortalProcess? _portal;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task<(PortalProcess Portal, IBrowser Browser)> StartAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (!File.Exists(BrowserFactAttribute.ChromiumPath))
                throw new FileNotFoundException($"{BrowserFactAttribute.ChromiumPath} is missing and CI is set: .ci/run must `apt-get install -y chromium`.");
            _portal ??= await PortalProcess.StartAsync(TimeSpan.FromSeconds(90));
            _playwright ??= await Playwright.CreateAsync();
            _browser ??= await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = BrowserFactAttribute.ChromiumPath,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            });
            return (_portal, _browser);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        _portal?.Dispose();
    }
}

/// <summary>The browser tests run alone, after the others: a tiny run on a shared 2-core machine needs the CPU.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection
{
    public const string Name = "Browser";
}

/// <summary>
/// The portal in a browser, through the agreed data-testid hooks: launch the tiny preset and see it complete, find
/// it in the runs list, install a plugin zip and see its row.
/// </summary>
/// <summary>
/// The browser tests' waits: all on states (an element, a URL, a text), with limits generous enough for a busy 2-core
/// machine; a limit is where a stuck test gives up, never how long a test waits.
/// </summary>
public static class BrowserTimeouts
{
    public const int ActionMs = 60_000;
    public const int NavigationMs = 90_000;
    public const int ExpectMs = 60_000;
    public static readonly TimeSpan Interactive = TimeSpan.FromSeconds(120);

    static BrowserTimeouts() => SetDefaultExpectTimeout(ExpectMs);

    public static void Apply(IBrowserContext context)
    {
        context.SetDefaultTimeout(ActionMs);
        context.SetDefaultNavigationTimeout(NavigationMs);
        EnsureExpectTimeout();
    }

    /// <summary>Runs the static constructor (Expect's default limit is process-wide).</summary>
    public static void EnsureExpectTimeout() { }
}

[Collection(BrowserCollection.Name)]
public sealed class PortalE2ETests(BrowserPortalFixture fixture) : IClassFixture<BrowserPortalFixture>
{
    private static readonly TimeSpan Interactive = BrowserTimeouts.Interactive;
    /// <summary>The tiny preset trains in well under a minute alone; generous for a loaded CI machine.</summary>
    private const int RunTimeoutMs = 240_000;

    [BrowserFact]
    public async Task ATinyRunLaunchedFromThePortalCompletesAndIsFoundInTheRunsList()
    {
        var (portal, browser) = await fixture.StartAsync();
        var page = await NewPageAsync(browser);
        try
        {
            await GotoInteractiveAsync(page, portal.BaseUrl + "/");
            await GotoInteractiveAsync(page, portal.BaseUrl + "/experiments/new");
            await RequireHook(page, "preset-tiny", "the /experiments/new page with a preset-tiny button");
            // On a busy machine the first click can reach the page before its circuit listens: click until the form is filled.
            await BrowserActions.ClickUntilEnabledAsync(page.GetByTestId("preset-tiny"), page.GetByTestId("launch"));
            string name = "e2e-" + Guid.NewGuid().ToString("N")[..8];
            await page.GetByTestId("run-name").FillAsync(name);
            await page.GetByTestId("launch").ClickAsync();

            await page.WaitForURLAsync(new Regex(@"/runs/[^/?#]+$"), new() { WaitUntil = WaitUntilState.Commit }); // a Blazor navigation: no load event
            string id = new Uri(page.Url).Segments[^1];
            await Expect(page.GetByTestId("run-status")).ToHaveTextAsync(
                new Regex("^\\s*(Completed|Failed|Cancelled|Interrupted)\\s*$"), new() { Timeout = RunTimeoutMs });
            string status = (await page.GetByTestId("run-status").InnerTextAsync()).Trim();
            Assert.True(status == "Completed", $"run {id} ended {status}; portal output:\n{portal.OutputTail}");

            await GotoInteractiveAsync(page, portal.BaseUrl + "/runs");
            await page.GetByTestId("runs-search").FillAsync(name);
            await Expect(page.GetByTestId($"run-row-{id}")).ToBeVisibleAsync();
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

    /// <summary>
    /// Issue 15, item 2, in a real browser: a page of another origin (the same portal as http://localhost:PORT, a
    /// different origin from http://127.0.0.1:PORT) and a file-like page (Origin null) post a valid spec with
    /// fetch(..., {mode: 'no-cors'}): nothing is created. The portal's own page still may.
    /// </summary>
    [BrowserFact]
    public async Task AnotherOriginsPageCannotLaunchARun()
    {
        var (portal, browser) = await fixture.StartAsync();
        string name = "forged-" + Guid.NewGuid().ToString("N")[..8];
        string spec = Integration.Specs.Tiny("trainer.steps=2", $"name={name}").ToJsonString();
        const string post = """
            async ([url, body, type]) => {
              try { await fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': type }, body }); return 'sent'; }
              catch (e) { return 'blocked: ' + e; }
            }
            """;
        var page = await NewPageAsync(browser);
        try
        {
            var api = portal.BaseUrl + "/api/runs"; // http://127.0.0.1:PORT
            var otherOrigin = portal.BaseUrl.Replace("127.0.0.1", "localhost");
            Assert.NotEqual(portal.BaseUrl, otherOrigin);
            await page.GotoAsync(otherOrigin + "/");
            Assert.Equal("sent", await page.EvaluateAsync<string>(post, new object[] { api, spec, "text/plain" }));
            await page.SetContentAsync("<p>a page with an opaque origin</p>"); // about:blank content: Origin null
            await page.EvaluateAsync<string>(post, new object[] { api, spec, "text/plain" });

            // The portal's own origin: the request reaches the API (a bad spec, so nothing starts): 400, readable.
            await page.GotoAsync(portal.BaseUrl + "/");
            int own = await page.EvaluateAsync<int>("""
                async ([url, body]) => (await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).status
                """, new object[] { api, Integration.Specs.Tiny("optimizer.lr=-1").ToJsonString() });
            Assert.Equal(400, own);

            using var http = new HttpClient();
            string runs = await http.GetStringAsync(api);
            Assert.DoesNotContain(name, runs);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [BrowserFact]
    public async Task AnUploadedPluginZipAppearsOnThePluginsPage()
    {
        var (portal, browser) = await fixture.StartAsync();
        string zip = ExternalPlugin.Zip(Path.Combine(TempFolder.Create("e2e-zip"), ExternalPlugin.Name + ".zip"));
        var page = await NewPageAsync(browser);
        try
        {
            await GotoInteractiveAsync(page, portal.BaseUrl + "/plugins");
            await Expect(page.GetByTestId("plugin-row-scott")).ToBeVisibleAsync(); // a built-in plugin
            await Expect(page.GetByTestId($"plugin-row-{ExternalPlugin.Id}")).ToHaveCountAsync(0);

            await page.GetByTestId("plugin-upload").SetInputFilesAsync(zip);

            await Expect(page.GetByTestId($"plugin-row-{ExternalPlugin.Id}")).ToBeVisibleAsync();
            await Expect(page.GetByTestId($"plugin-row-{ExternalPlugin.Id}")).ToContainTextAsync("Loaded");
            await Expect(page.GetByTestId("plugin-upload-result")).ToContainTextAsync("loaded");
            Assert.True(File.Exists(Path.Combine(portal.DataDir, "plugins", ExternalPlugin.Name, ExternalPlugin.Name + ".dll")));
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Exception($"{e.Message}\nportal output:\n{portal.OutputTail}", e);
        }
        finally
        {
            await page.Context.CloseAsync();
            TempFolder.TryDelete(Path.GetDirectoryName(zip)!);
        }
    }

    internal static async Task<IPage> NewPageAsync(IBrowser browser, BrowserNewContextOptions? options = null)
    {
        var context = await browser.NewContextAsync(options);
        BrowserTimeouts.Apply(context);
        return await context.NewPageAsync();
    }

    /// <summary>
    /// Opens a page and waits until its Blazor circuit has applied its first render (the browser answers a render batch
    /// with OnRenderCompleted over the WebSocket): the prerendered HTML has no event handlers, so clicks and typing
    /// before that would be lost. A state, not a time: it holds on a machine of any speed.
    /// </summary>
    internal static async Task GotoInteractiveAsync(IPage page, string url)
    {
        var rendered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSocket(object? sender, IWebSocket socket)
        {
            if (!socket.Url.Contains("/_blazor")) return;
            socket.FrameSent += (_, frame) =>
            {
                bool applied = frame.Binary is { } bytes
                    ? System.Text.Encoding.ASCII.GetString(bytes).Contains("OnRenderCompleted")
                    : frame.Text?.Contains("OnRenderCompleted") == true;
                if (applied) rendered.TrySetResult();
            };
        }
        page.WebSocket += OnSocket;
        try
        {
            IResponse? response;
            try { response = await page.GotoAsync(url); }
            catch (PlaywrightException e)
            {
                // Chromium turns an empty 404 into ERR_HTTP_RESPONSE_CODE_FAILURE.
                Assert.Fail($"GET {url} failed ({e.Message.Split('\n')[0]}): the page is missing from this build or broken.");
                return;
            }
            Assert.True(response is { Ok: true }, $"GET {url}: HTTP {response?.Status}: the page is missing from this build or broken.");
            await rendered.Task.WaitAsync(Interactive);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{url}: the Blazor circuit did not render within {Interactive.TotalSeconds:0} s (no JS.RenderBatch over /_blazor).");
        }
        finally
        {
            page.WebSocket -= OnSocket;
        }
    }

    /// <summary>Fails with what is missing (another helper's page not merged yet, a renamed hook) instead of a bare timeout.</summary>
    private static async Task RequireHook(IPage page, string testId, string what)
    {
        try
        {
            await page.GetByTestId(testId).First.WaitForAsync();
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{page.Url}: no element with data-testid=\"{testId}\": {what} is missing.");
        }
    }
}
