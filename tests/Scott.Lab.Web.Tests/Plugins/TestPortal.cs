using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Scott.Lab.Web.Features.Plugins;

namespace Scott.Lab.Web.Tests.Plugins;

/// <summary>A running portal (in-memory server, hosted services started) on a fresh temp data folder.</summary>
public sealed class TestPortal : IDisposable
{
    private readonly WebApplicationFactory<Program> _root = new();

    public TestPortal(IDictionary<string, string?>? settings = null, Action<string>? beforeStart = null)
    {
        Root = TempFolder.Create("portal");
        DataDir = Path.Combine(Root, "data");
        beforeStart?.Invoke(DataDir);
        var values = new Dictionary<string, string?> { ["ScottLab:DataDir"] = DataDir };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[key] = value;
        Factory = _root.WithWebHostBuilder(builder =>
            builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(values)));
        _ = Factory.Server; // builds and starts the host: the folder watcher runs from here on
    }

    /// <summary>The temp folder that holds DataDir: nothing may be written in it outside DataDir.</summary>
    public string Root { get; }
    public string DataDir { get; }
    public WebApplicationFactory<Program> Factory { get; }
    public PortalPlugins Plugins => Factory.Services.GetRequiredService<PortalPlugins>();
    public PluginUploader Uploader => Factory.Services.GetRequiredService<PluginUploader>();
    public PluginFolderWatcher Watcher => Factory.Services.GetRequiredService<PluginFolderWatcher>();

    public void Dispose()
    {
        try { _root.Dispose(); }
        finally { TempFolder.TryDelete(Root); }
    }
}

public static class TempFolder
{
    public static string Create(string what)
    {
        string path = Path.Combine(Path.GetTempPath(), $"scott-lab-{what}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void TryDelete(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task True(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(20);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > limit) Assert.Fail($"Timed out after {limit.TotalSeconds:0} s waiting for: {what}");
            await Task.Delay(100);
        }
    }
}
