using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using Scott.Lab.Web.Hosting;
using Scott.Lab.Web.Features.Plugins;
using PluginsPage = Scott.Lab.Web.Features.Plugins.PluginsPage;

namespace Scott.Lab.Web.Tests.Plugins;

/// <summary>The /plugins page in bUnit on a real catalog: rows and their test ids, live refresh, upload, admin key.</summary>
public sealed class PluginsPageTests : BunitContext, IAsyncLifetime
{
    private readonly string _root = TempFolder.Create("plugins-page");
    private PortalPlugins _plugins = null!;

    private void Setup(string? listenOn = null, string? adminKey = null, Action<string>? beforeLoad = null)
    {
        string dataDir = Path.Combine(_root, "data");
        beforeLoad?.Invoke(Path.Combine(dataDir, "plugins"));
        var options = Options.Create(new PortalOptions { DataDir = dataDir, AdminKey = adminKey });
        _plugins = new PortalPlugins(options, new PortalPaths(options, new HostingEnvironment { ContentRootPath = _root }));
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(_plugins);
        Services.AddSingleton(new PluginUploader(_plugins, options));
        Services.AddSingleton(new PluginFolderWatcher(_plugins, NullLogger<PluginFolderWatcher>.Instance));
        Services.AddSingleton(new AdminGate(options, new FakeServer(listenOn ?? "http://127.0.0.1:5080")));
    }

    [Fact]
    public void EveryEntryHasARowWithItsTestIdStatusAndError()
    {
        Setup(beforeLoad: plugins =>
        {
            Directory.CreateDirectory(plugins);
            File.WriteAllBytes(Path.Combine(plugins, "broken.dll"), [1, 2, 3]);
        });

        var page = Render<PluginsPage>();

        Assert.Contains("Loaded", page.Find("[data-testid=plugin-row-scott]").TextContent);
        Assert.Contains("Loaded", page.Find("[data-testid=plugin-row-mim-jepa]").TextContent);
        var broken = page.Find("[data-testid='plugin-row-broken.dll']");
        Assert.Contains("Failed", broken.TextContent);
        Assert.Contains("broken.dll is not a .NET assembly", broken.TextContent);
        // Paths wrap between folders, not mid-word.
        Assert.Contains("/<wbr>broken.dll", broken.InnerHtml);
        // What needs attention comes first: the failed file is the table's first row.
        Assert.Equal("plugin-row-broken.dll", page.FindAll("tr[data-testid^=plugin-row-]")[0].GetAttribute("data-testid"));
        Assert.Contains(_plugins.UploadFolder, page.Markup);
        Assert.Equal("file", page.Find("[data-testid=plugin-upload]").GetAttribute("type"));
    }

    [Fact]
    public void ThePageRefreshesWhenTheCatalogChanges()
    {
        Setup();
        var page = Render<PluginsPage>();
        Assert.Empty(page.FindAll($"[data-testid=plugin-row-{ExternalPlugin.Id}]"));

        ExternalPlugin.CopyPluginFolderTo(_plugins.UploadFolder);
        _plugins.Rescan(); // what the watcher does

        page.WaitForAssertion(() => Assert.Contains("Loaded", page.Find($"[data-testid=plugin-row-{ExternalPlugin.Id}]").TextContent));
    }

    [Fact]
    public void AnUploadedZipIsInstalledAndShown()
    {
        Setup();
        var page = Render<PluginsPage>();
        string zip = ExternalPlugin.Zip(Path.Combine(_root, "upload.zip"));

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(File.ReadAllBytes(zip), ExternalPlugin.Name + ".zip"));

        page.WaitForAssertion(() => Assert.Contains("loaded", page.Find("[data-testid=plugin-upload-result]").TextContent));
        Assert.Contains("Loaded", page.Find($"[data-testid=plugin-row-{ExternalPlugin.Id}]").TextContent);
    }

    [Fact]
    public void AnUploadErrorIsShown()
    {
        Setup();
        var page = Render<PluginsPage>();

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("hello", "notes.txt"));

        page.WaitForAssertion(() => Assert.Contains("is not a plugin package", page.Find("[data-testid=plugin-upload-result]").TextContent));
    }

    [Fact]
    public void BeyondLoopbackAnUploadNeedsTheAdminKey()
    {
        Setup(listenOn: "http://0.0.0.0:5080", adminKey: "s3cret");
        var page = Render<PluginsPage>();
        byte[] zip = File.ReadAllBytes(ExternalPlugin.Zip(Path.Combine(_root, "upload.zip")));

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(zip, ExternalPlugin.Name + ".zip"));
        page.WaitForAssertion(() => Assert.Contains("changes need the admin key", page.Find("[data-testid=plugin-upload-result]").TextContent));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_plugins.UploadFolder));

        page.Find("input[type=password]").Change("s3cret");
        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(zip, ExternalPlugin.Name + ".zip"));
        page.WaitForAssertion(() => Assert.Contains("loaded", page.Find("[data-testid=plugin-upload-result]").TextContent));
    }

    [Fact]
    public void AReplacedDllShowsThatARestartIsNeeded()
    {
        Setup(beforeLoad: plugins => ExternalPlugin.CopyPluginFolderTo(plugins));
        string dll = Path.Combine(_plugins.UploadFolder, ExternalPlugin.Name, ExternalPlugin.Name + ".dll");
        var page = Render<PluginsPage>();
        Assert.Empty(page.FindAll("[data-testid=plugin-pending-restart]"));

        File.AppendAllText(dll, "new build");
        _plugins.Rescan();

        page.WaitForAssertion(() => Assert.Contains("replaced on disk: restart the portal to apply", page.Find("[data-testid=plugin-pending-restart]").TextContent));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's services are IAsyncDisposable only: dispose the container asynchronously.
    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        TempFolder.TryDelete(_root);
    }

    private sealed class FakeServer : IServer
    {
        public FakeServer(string address)
        {
            var feature = new ServerAddressesFeature();
            feature.Addresses.Add(address);
            Features.Set<IServerAddressesFeature>(feature);
        }

        public IFeatureCollection Features { get; } = new FeatureCollection();
        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public void Dispose() { }
    }
}
