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
    public void ADuplicateIdNamesTheFileThatAlreadyProvidesIt()
    {
        // A second copy of the built-in tokenizers, in a folder scanned after the built-in one.
        string copy = TempDir();
        foreach (var file in Directory.GetFiles(Path.Combine(PluginCatalog.BuiltInFolder, "Scott.Lab.Tokenizers")))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));

        var catalog = PluginCatalog.Load([PluginCatalog.BuiltInFolder, copy]);

        var original = Assert.Single(catalog.Entries, e => e.Id == "scott" && e.Status == PluginStatus.Loaded);
        var duplicate = Assert.Single(catalog.Entries, e => e.Id == "scott" && e.Status == PluginStatus.Failed);
        Assert.StartsWith(copy, duplicate.AssemblyPath);
        Assert.Contains($"already provided by {original.AssemblyPath}", duplicate.Error);
        Assert.Contains("another Id", duplicate.Error);
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

    [Fact]
    public void AFileTheAdmissionRefusesIsQuarantinedWithoutBeingLoaded()
    {
        // The refused file is a real plugin: if it were loaded, its id would resolve.
        string folder = TempDir();
        string scottDll = Directory.GetFiles(PluginCatalog.BuiltInFolder, "Scott.Lab.Tokenizers.dll", SearchOption.AllDirectories).First();
        string copy = Path.Combine(folder, "Tokenizers.dll");
        File.Copy(scottDll, copy);
        var asked = new List<(string Path, string Sha256)>();

        var catalog = PluginCatalog.Load([folder], (path, sha256) =>
        {
            asked.Add((path, sha256));
            return "quarantined: its probe ended with exit code 7";
        });

        var entry = Assert.Single(catalog.Entries);
        Assert.Equal((PluginStatus.Quarantined, "quarantined: its probe ended with exit code 7", copy), (entry.Status, entry.Error, entry.AssemblyPath));
        Assert.Null(entry.Instance);
        Assert.Equal((copy, entry.Sha256), Assert.Single(asked));
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => !a.IsDynamic && a.Location == copy);
        var error = Assert.Throws<PluginException>(() => catalog.Resolve<ITokenizerPlugin>("Tokenizers", "tokenizer.id"));
        Assert.Contains($"plugin file {copy} is quarantined: quarantined: its probe ended with exit code 7", error.Message);
        // A quarantined file holds no loader: it can be forgotten and scanned again (after it is replaced).
        Assert.True(catalog.ForgetFailed(copy));
        Assert.Empty(catalog.Entries);
    }

    [Fact]
    public void TheQuarantineKeepsProbeResultsByHashAcrossInstances()
    {
        string data = TempDir();
        var first = new PluginQuarantine(data);
        Assert.Null(first.Find("ab"));
        first.Record(new PluginProbeRecord("ab", "/p/bad.dll", false, "quarantined: exit code 7", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc)));
        first.Record(new PluginProbeRecord("cd", "/p/good.dll", true, null, DateTime.UtcNow));

        var second = new PluginQuarantine(data); // as after a restart, or in a worker process
        Assert.Equal(Path.Combine(data, "plugin-probes.json"), second.FilePath);
        Assert.Equal("quarantined: exit code 7", second.QuarantineReason("/elsewhere/bad.dll", "ab")); // by bytes, not path
        Assert.Null(second.QuarantineReason("/p/good.dll", "cd"));
        Assert.Null(second.QuarantineReason("/p/new.dll", "ef"));
        Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), second.Find("ab")!.ProbedUtc);

        File.WriteAllText(second.FilePath, "{ not json");
        Assert.Null(second.Find("ab")); // unreadable: everything is probed again, nothing crashes
    }

    private static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "scott-lab-catalog-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
