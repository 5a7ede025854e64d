using Scott.Lab.Engine.Config;
using Scott.Lab.Web.Features.Experiments;
using System.Text.Json.Nodes;
using Bunit;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MudBlazor;
using MudBlazor.Services;
using Scott.Lab.Runs;
using Scott.Lab.Web.Components.Forms;
using Scott.Lab.Web.Hosting;
using Scott.Lab.Web.Features.Plugins;
using Scott.Lab.Web.Features.Sessions;

namespace Scott.Lab.Web.Tests.Components;

/// <summary>
/// bUnit base for the portal's pages: MudBlazor services with loose JS interop, a RunStore on a temp folder, a fake
/// launcher, presets from a temp content root (configs/), the real built-in plugins (loaded once per test run) and
/// an AdminGate on a loopback address (so no key is needed unless a test says otherwise).
/// </summary>
public abstract class PortalComponentTest : BunitContext, IAsyncLifetime
{
    private static readonly Lazy<PortalPlugins> SharedPlugins = new(() =>
    {
        string data = Path.Combine(Path.GetTempPath(), "scott-lab-pages-plugins-" + Environment.ProcessId);
        var options = Options.Create(new PortalOptions { DataDir = data });
        return new PortalPlugins(options, new PortalPaths(options, new TestHostEnvironment(data)));
    });

    protected PortalComponentTest(params string[] listenOn)
    {
        Root = Directory.CreateTempSubdirectory("scott-lab-pages-").FullName;
        DataDir = Path.Combine(Root, "data");
        Directory.CreateDirectory(Path.Combine(Root, "configs"));
        var options = Options.Create(new PortalOptions { DataDir = DataDir, AdminKey = AdminKey });
        var environment = new TestHostEnvironment(Root);
        Store = new RunStore(DataDir);
        Launcher = new FakeRunLauncher(Store);

        // Launch and cancel run off the render thread; on a loaded CI machine they can take more than the 1 s default.
        DefaultWaitTimeout = TimeSpan.FromSeconds(10);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<IOptions<PortalOptions>>(options);
        Services.AddSingleton<IHostEnvironment>(environment);
        Services.AddSingleton<PortalPaths>();
        Services.AddSingleton(Store);
        Services.AddSingleton<IRunLauncher>(Launcher);
        Services.AddSingleton<Scott.Lab.Web.Features.Sweeps.SweepLauncher>();
        Services.AddSingleton(_ => SharedPlugins.Value);
        Services.AddSingleton(new Presets(Root));
        Services.AddSingleton<IServer>(new TestServer(listenOn.Length > 0 ? listenOn : ["http://127.0.0.1:5080"]));
        Services.AddSingleton<AdminGate>();
        Services.AddScoped<AdminKeyHolder>();
    }

    protected virtual string? AdminKey => null;
    protected string Root { get; }
    protected string DataDir { get; }
    protected RunStore Store { get; }
    protected FakeRunLauncher Launcher { get; }

    /// <summary>MudSelect and friends need a popover provider in the render tree.</summary>
    protected void RenderPopoverProvider() => Render<MudPopoverProvider>();

    /// <summary>Copies a preset from the repository's configs/ into this test's content root.</summary>
    protected void CopyPreset(string relativePath)
    {
        string source = Path.Combine(RepositoryRoot.Find(), "configs", relativePath);
        string target = Path.Combine(Root, "configs", relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(source, target, overwrite: true);
    }

    protected void WritePreset(string relativePath, string yaml)
    {
        string target = Path.Combine(Root, "configs", relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.WriteAllText(target, yaml);
    }

    protected RunRecord AddRun(string name, RunStatus status, params string[] tags) => Store.Create(new RunRecord
    {
        Name = name, Status = status, Dataset = "fashion-mnist-sample", Tokenizer = "scott", Objective = "mim-jepa",
        Tags = [.. tags], TotalSteps = 60, Spec = new System.Text.Json.Nodes.JsonObject { ["name"] = name },
    });

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's services are IAsyncDisposable only, so the container must be disposed asynchronously; xunit calls
    // this before Dispose(), which then has nothing left to do.
    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        // A page's timer tick may still be inside the store on another thread: RunStore.Dispose lets it finish.
        Store.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }

    private sealed class TestHostEnvironment(string root) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Development";
        public string ApplicationName { get; set; } = "Scott.Lab.Web";
        public string ContentRootPath { get; set; } = root;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }

    private sealed class TestServer : IServer
    {
        public TestServer(string[] addresses)
        {
            var feature = new ServerAddressesFeature();
            foreach (string address in addresses) feature.Addresses.Add(address);
            Features.Set<IServerAddressesFeature>(feature);
        }

        public IFeatureCollection Features { get; } = new FeatureCollection();
        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public void Dispose() { }
    }
}

/// <summary>Records what pages ask of the launcher; Launch stores a Queued run unless <see cref="Refuse"/> is set.</summary>
public sealed class FakeRunLauncher(RunStore store) : IRunLauncher
{
    public List<JsonObject> Launched { get; } = [];
    public List<string> Cancelled { get; } = [];
    public List<string> Resumed { get; } = [];
    public List<(string RunId, string Protocol, int? LabelsPerClass)> Evaluated { get; } = [];
    /// <summary>When set, Launch refuses with these errors.</summary>
    public IReadOnlyList<SpecProblem>? Refuse { get; set; }

    public LaunchResult Launch(JsonObject spec, string source = "portal")
    {
        Launched.Add((JsonObject)spec.DeepClone());
        if (Refuse is { Count: > 0 } errors) return new LaunchResult(null, errors);
        var run = store.Create(new RunRecord { Name = spec["name"]?.ToString() ?? "", Source = source, Status = RunStatus.Queued });
        return new LaunchResult(run, []);
    }

    /// <summary>The executor choice of each launch (null: the page named none).</summary>
    public List<LaunchOptions?> LaunchedWith { get; } = [];

    public LaunchResult Launch(JsonObject spec, string source, LaunchOptions? options)
    {
        LaunchedWith.Add(options);
        var result = Launch(spec, source);
        if (result.Run is { } run && options?.SweepId is { } sweep) return result with { Run = store.Update(run.Id, r => r.SweepId = sweep) };
        return result;
    }

    /// <summary>Refuses what <see cref="Refuse"/> says, like Launch.</summary>
    public IReadOnlyList<SpecProblem> Check(JsonObject spec, LaunchOptions? options = null) => Refuse ?? [];

    public bool Cancel(string runId) { Cancelled.Add(runId); return true; }
    public bool Resume(string runId) { Resumed.Add(runId); return true; }
    public EvaluationRequest Evaluate(string runId, string protocol, int? labelsPerClass = null, string? checkpoints = null) { Evaluated.Add((runId, protocol, labelsPerClass)); EvaluatedCheckpoints.Add(checkpoints); return new EvaluationRequest(true); }
    public List<string?> EvaluatedCheckpoints { get; } = [];
    public List<string> EvaluationsCancelled { get; } = [];
    public EvaluationCancel CancelEvaluation(string runId) { EvaluationsCancelled.Add(runId); return new EvaluationCancel(true, "Stopping the evaluation; the run is untouched."); }
}
