using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Plugins;

namespace Scott.Lab.Plugins.Tests;

public class PluginCatalogTests
{
    [Fact]
    public void BuiltInPluginsLoadThroughTheLoader()
    {
        var catalog = PluginCatalog.Load([PluginCatalog.BuiltInFolder]);
        var loaded = catalog.Entries.Where(e => e.Status == PluginStatus.Loaded).Select(e => (e.Kind, e.Id)).ToHashSet();
        Assert.Contains((PluginKind.Tokenizer, "scott"), loaded);
        Assert.Contains((PluginKind.Tokenizer, "patch"), loaded);
        Assert.Contains((PluginKind.Objective, "mim-jepa"), loaded);
        Assert.Contains((PluginKind.Dataset, "fashion-mnist"), loaded);
        Assert.Contains((PluginKind.Dataset, "fashion-mnist-sample"), loaded);
        // Loaded through the plugin loader, not referenced by the host: the assembly lives in the plugin folder.
        var scott = catalog.Resolve<ITokenizerPlugin>("scott", "tokenizer.id");
        Assert.StartsWith(PluginCatalog.BuiltInFolder, scott.GetType().Assembly.Location);
        Assert.All(catalog.Entries, e => Assert.Equal(64, e.Sha256.Length));
    }

    [Fact]
    public void BrokenPluginFilesAreReportedAndDoNotStopTheOthers()
    {
        string folder = TempDir();
        File.WriteAllBytes(Path.Combine(folder, "not-dotnet.dll"), [0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 2, 3, 4]);
        // A real .NET assembly that implements no plugin interface.
        File.Copy(typeof(Xunit.FactAttribute).Assembly.Location, Path.Combine(folder, "nothing-here.dll"));

        var catalog = PluginCatalog.Load([PluginCatalog.BuiltInFolder, folder]);

        var notDotnet = Assert.Single(catalog.Entries, e => e.AssemblyPath.EndsWith("not-dotnet.dll"));
        Assert.Equal(PluginStatus.Failed, notDotnet.Status);
        Assert.Contains("not a .NET assembly", notDotnet.Error);
        var nothing = Assert.Single(catalog.Entries, e => e.AssemblyPath.EndsWith("nothing-here.dll"));
        Assert.Equal(PluginStatus.Failed, nothing.Status);
        Assert.Contains("contains no public class implementing", nothing.Error);
        Assert.NotNull(catalog.Resolve<ITokenizerPlugin>("scott", "tokenizer.id"));
    }

    [Fact]
    public void ScanPicksUpNewFilesOnlyOnce()
    {
        string folder = TempDir();
        var catalog = PluginCatalog.Load([folder]);
        Assert.Empty(catalog.Entries);
        File.WriteAllBytes(Path.Combine(folder, "late.dll"), [1, 2, 3]);
        Assert.Single(catalog.Scan(folder));
        Assert.Empty(catalog.Scan(folder));
    }

    private static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "scott-lab-catalog-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
