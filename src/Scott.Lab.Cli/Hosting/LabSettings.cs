using System.Text.Json.Nodes;

namespace Scott.Lab.Cli.Hosting;

/// <summary>
/// The settings the CLI shares with the portal: the data folder (runs go to DATA/runs) and extra plugin folders.
/// Precedence: --data-dir, then ScottLab__DataDir, then the root appsettings.json (found from the working
/// directory upwards, then from the program's folder upwards), then "data" in the working directory.
/// Relative paths in appsettings.json are relative to the file.
/// </summary>
public sealed record LabSettings(string DataDir, IReadOnlyList<string> PluginFolders)
{
    public string RunsDir => Path.Combine(DataDir, "runs");

    public static LabSettings Load(string? dataDirOption)
    {
        string? file = FindAppSettings(Environment.CurrentDirectory) ?? FindAppSettings(AppContext.BaseDirectory);
        JsonNode? section = null;
        if (file is not null)
        {
            try { section = JsonNode.Parse(File.ReadAllText(file))?["ScottLab"]; }
            catch (System.Text.Json.JsonException e) { throw new IOException($"{file} is not valid JSON: {e.Message}"); }
        }
        string baseDir = file is null ? Environment.CurrentDirectory : Path.GetDirectoryName(file)!;
        string Resolve(string path) => Path.GetFullPath(Path.Combine(baseDir, path));

        string dataDir = dataDirOption is not null ? Path.GetFullPath(dataDirOption)
            : Environment.GetEnvironmentVariable("ScottLab__DataDir") is { Length: > 0 } env ? Path.GetFullPath(env)
            : section?["DataDir"]?.GetValue<string>() is { Length: > 0 } configured ? Resolve(configured)
            : Path.GetFullPath("data");
        var plugins = section?["PluginFolders"]?.AsArray().Select(n => Resolve(n!.GetValue<string>())).ToList() ?? [];
        return new LabSettings(dataDir, plugins);
    }

    private static string? FindAppSettings(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "appsettings.json");
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Scott.Lab.sln"))) return candidate;
        }
        return null;
    }
}
