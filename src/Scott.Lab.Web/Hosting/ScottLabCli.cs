namespace Scott.Lab.Web.Hosting;

/// <summary>
/// The CLI the portal runs child processes with: <c>dotnet scott-lab.dll</c> beside the portal, on the runtime that
/// runs the portal (the same lookup as the session manager's workers).
/// </summary>
public static class ScottLabCli
{
    /// <summary>scott-lab.dll next to the portal (src/Scott.Lab.Web references src/Scott.Lab.Cli).</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "scott-lab.dll");

    /// <summary>The <c>dotnet</c> that runs this process.</summary>
    public static string DotnetHost()
    {
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return self;
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root)
        {
            string candidate = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
            if (File.Exists(candidate)) return candidate;
        }
        return "dotnet";
    }
}
