using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Options;
using Scott.Lab.Web.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Scott.Lab.Engine.Config;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Compare;
using Scott.Lab.Web.Features.Maps;
using Scott.Lab.Web.Features.Plugins;
using Scott.Lab.Web.Features.Runs;
using Scott.Lab.Web.Features.Sessions;

namespace Scott.Lab.Web.Tests.Integration;

/// <summary>Keeps every portal test away from the repository's data/ unless a test picks its own data folder.</summary>
internal static class TestDataDir
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ScottLab__DataDir")))
            Environment.SetEnvironmentVariable("ScottLab__DataDir", Path.Combine(Path.GetTempPath(), "scott-lab-tests", "web-data-" + Environment.ProcessId));
    }
}

/// <summary>The portal on a data folder of its own (so that a second host on the same folder is a portal restart).</summary>
public sealed class PortalHost(string dataDir, string? listenBeyondLoopback = null, string? adminKey = null,
    IReadOnlyDictionary<string, string?>? settings = null, int? httpPort = null) : WebApplicationFactory<Program>
{
    public string DataDir { get; } = dataDir;

    /// <summary>
    /// With <c>httpPort</c>, the portal listens on a real loopback port (Kestrel), so the workers it starts report to
    /// it over HTTP (ScottLab:WorkerReporting=http). Without, it is the in-memory test server and workers write the
    /// store themselves. A second host on the same data folder and port is a portal restart at the same URL.
    /// </summary>
    public int? HttpPort { get; } = httpPort;

    public string? Url => HttpPort is { } port ? $"http://127.0.0.1:{port}" : null;

    /// <summary>A loopback port nothing listens on now.</summary>
    public static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>A portal on a fresh data folder that takes its workers' reports over HTTP.</summary>
    public static PortalHost Http(string? dataDir = null, int? port = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var host = new PortalHost(dataDir ?? NewDataDir(), settings: settings, httpPort: port ?? FreePort());
        host.UseKestrel();
        host.StartServer();
        return host;
    }

    public static string NewDataDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "scott-lab-tests", "portal-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ScottLab:DataDir", DataDir);
        if (HttpPort is { } port) builder.UseSetting("urls", $"http://127.0.0.1:{port}");
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ScottLab:DataDir"] = DataDir,
            ["ScottLab:AdminKey"] = adminKey,
        }.Concat(settings ?? new Dictionary<string, string?>())));
        // The test server has no addresses (loopback for the gate); this one pretends to listen on the network.
        if (listenBeyondLoopback is not null)
            builder.ConfigureTestServices(services => services.AddSingleton(sp =>
                new AdminGate(sp.GetRequiredService<IOptions<PortalOptions>>(), new AddressOnlyServer(listenBeyondLoopback))));
    }

    private sealed class AddressOnlyServer : IServer
    {
        public AddressOnlyServer(string address)
        {
            var addresses = new ServerAddressesFeature();
            addresses.Addresses.Add(address);
            Features.Set<IServerAddressesFeature>(addresses);
        }

        public IFeatureCollection Features { get; } = new FeatureCollection();
        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public void Dispose() { }
    }

    public RunStore Store => Services.GetRequiredService<RunStore>();
    public SessionManager Sessions => Services.GetRequiredService<SessionManager>();

    /// <summary>Kills workers a failed test left behind (a passing test leaves none).</summary>
    public void KillWorkers()
    {
        foreach (var pid in Sessions.ActiveWorkers.Values)
            try { using var p = Process.GetProcessById(pid); p.Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
    }
}

/// <summary>Specs and polling shared by the portal tests.</summary>
public static class Specs
{
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Scott.Lab.sln"))) return dir.FullName;
            throw new InvalidOperationException("Scott.Lab.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>configs/ssl/tiny.yaml as the portal's JSON spec, with overrides (`key=value`, as with --set).</summary>
    public static JsonObject Tiny(params string[] overrides) =>
        ConfigLoader.LoadTree(Path.Combine(RepoRoot, "configs", "ssl", "tiny.yaml"), overrides);

    public static StringContent Json(JsonNode spec) => new(spec.ToJsonString(), Encoding.UTF8, "application/json");

    public static async Task<RunRecord> GetRun(HttpClient client, string id) =>
        (await client.GetFromJsonAsync<RunRecord>($"/api/runs/{id}", ApiResults.Json))!;

    /// <summary>Polls GET /api/runs/{id} until <paramref name="done"/>; on time-out, fails with the run and its worker.log.</summary>
    public static async Task<RunRecord> WaitFor(HttpClient client, string id, Func<RunRecord, bool> done, string what, int seconds = 240)
    {
        var clock = Stopwatch.StartNew();
        RunRecord run;
        while (true)
        {
            run = await GetRun(client, id);
            if (done(run)) return run;
            if (clock.Elapsed > TimeSpan.FromSeconds(seconds)) break;
            await Task.Delay(200);
        }
        string log = SessionManager.LogTail(Path.Combine(run.Directory, "worker.log"), 30);
        Assert.Fail($"run {id} did not reach '{what}' in {seconds} s: status {run.Status}, step {run.Step}/{run.TotalSteps}, error {run.Error}\nworker.log:\n{log}");
        return run;
    }
}
