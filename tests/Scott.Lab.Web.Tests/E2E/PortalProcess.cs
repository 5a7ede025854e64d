using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Scott.Lab.Web.Tests.Plugins;

namespace Scott.Lab.Web.Tests.E2E;

/// <summary>
/// The real portal: the built Scott.Lab.Web.dll started as a child process with the same dotnet, on a free loopback
/// port and a temp data folder (ScottLab__DataDir), as a person would start it. Its output is kept for failures.
/// </summary>
public sealed class PortalProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private PortalProcess(Process process, string baseUrl, string dataDir)
    {
        _process = process;
        BaseUrl = baseUrl;
        DataDir = dataDir;
    }

    public string BaseUrl { get; }
    public string DataDir { get; }

    /// <summary>The portal's last output lines, for assertion messages.</summary>
    public string OutputTail
    {
        get { lock (_output) { string all = _output.ToString(); return all.Length > 4000 ? all[^4000..] : all; } }
    }

    public static async Task<PortalProcess> StartAsync(TimeSpan timeout)
    {
        string dll = FindPortalDll();
        string dataDir = TempFolder.Create("e2e");
        int port = FreePort();
        string url = $"http://127.0.0.1:{port}";
        var start = new ProcessStartInfo(DotnetExecutable())
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "--urls", url }) start.ArgumentList.Add(arg);
        start.Environment["ScottLab__DataDir"] = dataDir;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_NOLOGO"] = "1";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var portal = new PortalProcess(process, url, dataDir);
        process.OutputDataReceived += (_, e) => portal.Append(e.Data);
        process.ErrorDataReceived += (_, e) => portal.Append(e.Data);
        if (!process.Start()) throw new InvalidOperationException($"could not start {start.FileName} {dll}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                portal.Dispose();
                throw new InvalidOperationException($"The portal exited with code {process.ExitCode} before answering on {url}:\n{portal.OutputTail}");
            }
            try
            {
                var response = await http.GetAsync(url + "/");
                if (response.IsSuccessStatusCode) return portal;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (watch.Elapsed > timeout)
            {
                portal.Dispose();
                throw new TimeoutException($"The portal did not answer on {url} within {timeout.TotalSeconds:0} s:\n{portal.OutputTail}");
            }
            await Task.Delay(250);
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>Next to the test assembly (the Web project is referenced), else the Web project's own output.</summary>
    private static string FindPortalDll()
    {
        string here = AppContext.BaseDirectory;
        string beside = Path.Combine(here, "Scott.Lab.Web.dll");
        if (File.Exists(beside) && File.Exists(Path.Combine(here, "Scott.Lab.Web.runtimeconfig.json"))) return beside;
        // tests/Scott.Lab.Web.Tests/bin/<Configuration>/net10.0/ → src/Scott.Lab.Web/bin/<Configuration>/net10.0/
        var outDir = new DirectoryInfo(here.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = outDir.Parent!.Name;
        string repo = Hosting.RepositoryRoot.Find();
        string built = Path.Combine(repo, "src", "Scott.Lab.Web", "bin", configuration, outDir.Name, "Scott.Lab.Web.dll");
        if (File.Exists(built)) return built;
        throw new FileNotFoundException($"Scott.Lab.Web.dll not found beside the tests ({beside}) nor at {built}: build src/Scott.Lab.Web first.");
    }

    /// <summary>The dotnet that runs these tests (the host's muxer), so the portal runs on the same runtime.</summary>
    private static string DotnetExecutable()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose()
    {
        try
        {
            // The portal and the training workers it started.
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        TempFolder.TryDelete(DataDir);
    }
}
