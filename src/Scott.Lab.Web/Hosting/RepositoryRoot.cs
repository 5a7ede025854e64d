namespace Scott.Lab.Web.Hosting;

/// <summary>
/// The folder with the root appsettings.json and wwwroot/ (the repository root: where Scott.Lab.sln is), searched
/// from the working directory and then from the program's folder; falls back to the program's folder.
/// </summary>
public static class RepositoryRoot
{
    public static string Find()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Scott.Lab.sln")) && File.Exists(Path.Combine(dir.FullName, "appsettings.json")))
                    return dir.FullName;
        return AppContext.BaseDirectory;
    }
}
