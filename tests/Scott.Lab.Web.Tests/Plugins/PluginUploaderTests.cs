using System.IO.Compression;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Plugins;
using Scott.Lab.Web.Hosting;
using Scott.Lab.Web.Features.Plugins;

namespace Scott.Lab.Web.Tests.Plugins;

/// <summary>The uploader on a real catalog (built-in plugins plus a temp DATA/plugins), without a web host: fast.</summary>
public sealed class PluginUploaderTests : IDisposable
{
    private readonly string _root = TempFolder.Create("upload");
    private readonly string _dataDir;

    public PluginUploaderTests() => _dataDir = Path.Combine(_root, "data");

    public void Dispose() => TempFolder.TryDelete(_root);

    private (PortalPlugins Plugins, PluginUploader Uploader) Create(int maxMegabytes = 64)
    {
        var options = Options.Create(new PortalOptions { DataDir = _dataDir, MaxUploadMegabytes = maxMegabytes });
        var paths = new PortalPaths(options, new HostingEnvironment { ContentRootPath = _root });
        var plugins = new PortalPlugins(options, paths);
        return (plugins, new PluginUploader(plugins, options));
    }

    private static async Task<PluginUploadResult> Upload(PluginUploader uploader, string name, byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        return await uploader.InstallAsync(name, stream);
    }

    private static byte[] ZipOf(params (string Name, byte[] Bytes)[] entries)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, bytes) in entries)
                using (var stream = zip.CreateEntry(name).Open())
                    stream.Write(bytes);
        return memory.ToArray();
    }

    private static byte[] PluginDll => File.ReadAllBytes(Path.Combine(ExternalPlugin.BuildFolder, ExternalPlugin.Name + ".dll"));

    /// <summary>Every file under the temp root that is not in DATA/plugins/&lt;installed&gt;: must be none.</summary>
    private List<string> FilesOutside(params string[] allowedFolders) =>
        Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories)
            .Where(f => !allowedFolders.Any(a => f.StartsWith(a + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            .ToList();

    [Theory]
    [InlineData(false, "ExternalStripes.zip")]
    [InlineData(true, "ExternalStripes.zip")]
    [InlineData(true, "download (3).zip")] // named after its top folder
    public async Task AZipOfAPluginFolderInstallsAndLoads(bool insideFolder, string zipName)
    {
        var (plugins, uploader) = Create();
        string zip = ExternalPlugin.Zip(Path.Combine(_root, "upload.zip"), insideFolder);

        var result = await Upload(uploader, zipName, File.ReadAllBytes(zip));
        File.Delete(zip);

        Assert.True(result.Succeeded, result.Error);
        string folder = Path.Combine(plugins.UploadFolder, ExternalPlugin.Name);
        Assert.Equal(folder, result.Folder);
        Assert.True(File.Exists(Path.Combine(folder, ExternalPlugin.Name + ".dll")));
        Assert.True(File.Exists(Path.Combine(folder, ExternalPlugin.DependencyName + ".dll")));
        var entry = Assert.Single(result.Entries);
        Assert.True(entry.Status == PluginStatus.Loaded, entry.Error);
        Assert.Equal(ExternalPlugin.Id, entry.Id);
        var dataset = plugins.Catalog.Resolve<IDatasetPlugin>(ExternalPlugin.Id, "dataset.id");
        using (var opened = dataset.Open(null))
            Assert.Equal(28 * 28, opened.PretrainingSplits[0].Images.Read(0).Pixels.Length);
        // Staging cleaned up; elsewhere only the probe record (the file was probed in a child process before it loaded).
        Assert.Equal([plugins.Quarantine.FilePath], FilesOutside(folder));
        Assert.True(plugins.Quarantine.Find(entry.Sha256)?.Passed);
        Assert.Equal(new[] { folder }, Directory.GetDirectories(plugins.UploadFolder));
    }

    [Fact]
    public async Task AnInstalledPluginFolderIsNeverOverwritten()
    {
        var (plugins, uploader) = Create();
        string zip = ExternalPlugin.Zip(Path.Combine(_root, "upload.zip"));
        Assert.True((await Upload(uploader, "ExternalStripes.zip", File.ReadAllBytes(zip))).Succeeded);
        string installed = Path.Combine(plugins.UploadFolder, ExternalPlugin.Name, ExternalPlugin.Name + ".dll");
        byte[] before = File.ReadAllBytes(installed);

        var again = await Upload(uploader, "ExternalStripes.zip", ZipOf(("ExternalStripes.dll", [1, 2, 3])));

        Assert.False(again.Succeeded);
        Assert.Contains("already installed", again.Error);
        Assert.Contains("remove", again.Error);
        Assert.Equal(before, File.ReadAllBytes(installed));
    }

    [Theory]
    [InlineData("../evil.dll")]
    [InlineData("ExternalStripes/../../evil.dll")]
    [InlineData("..\\evil.dll")]
    [InlineData("/tmp/evil.dll")]
    [InlineData("C:/evil.dll")]
    public async Task AZipSlipEntryIsRejectedAndNothingIsWritten(string evilEntry)
    {
        var (plugins, uploader) = Create();

        var result = await Upload(uploader, "ExternalStripes.zip", ZipOf(("ExternalStripes.dll", PluginDll), (evilEntry, [0x66, 0x6f, 0x6f])));

        Assert.False(result.Succeeded);
        Assert.Contains("outside the plugin folder", result.Error);
        Assert.Contains(evilEntry, result.Error);
        Assert.Empty(FilesOutside());
        Assert.Empty(Directory.EnumerateFileSystemEntries(plugins.UploadFolder));
        Assert.False(File.Exists("/tmp/evil.dll") && File.GetLastWriteTimeUtc("/tmp/evil.dll") > DateTime.UtcNow.AddMinutes(-1));
        Assert.DoesNotContain(plugins.Catalog.Entries, e => e.Id == ExternalPlugin.Id);
    }

    [Fact]
    public async Task AnUploadOverTheSizeLimitIsRejected()
    {
        var (plugins, uploader) = Create(maxMegabytes: 1);

        var result = await Upload(uploader, "Big.dll", new byte[1024 * 1024 + 10]);

        Assert.False(result.Succeeded);
        Assert.Contains("larger than the upload limit of 1 MB", result.Error);
        Assert.Contains("MaxUploadMegabytes", result.Error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(plugins.UploadFolder));
    }

    [Fact]
    public async Task ADllThatIsNotDotNetIsRefusedWithItsReasonAndLeavesNothingBehind()
    {
        var (plugins, uploader) = Create();

        var result = await Upload(uploader, "native-thing.dll", [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0]);

        Assert.False(result.Succeeded); // not "installed", then failed
        Assert.Contains("'native-thing.dll' is not a .NET assembly", result.Error);
        Assert.Contains("nothing was installed", result.Error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(plugins.UploadFolder));
        Assert.DoesNotContain(plugins.Catalog.Entries, e => e.AssemblyPath.Contains("native-thing"));
        // The others are untouched.
        Assert.NotNull(plugins.Catalog.Resolve<ITokenizerPlugin>("scott", "tokenizer.id"));
    }

    [Fact]
    public async Task APluginWhoseConstructorThrowsShowsFailedWithItsErrorAndTheOthersStillLoad()
    {
        var (plugins, uploader) = Create();
        string dll = ExternalPlugin.CompileInto(Path.Combine(_root, "build"), "Throwing", """
            using System;
            using Scott.Lab.Abstractions.Plugins;
            namespace Throwing;
            public sealed class Options { }
            public sealed class ThrowingDataset : PluginBase<Options>, IDatasetPlugin
            {
                public ThrowingDataset() => throw new InvalidOperationException("no licence file found");
                public override string Id => "throwing";
                public override string DisplayName => "Throwing";
                public override string Description => "";
                public Scott.Lab.Abstractions.Data.IImageDataset Open(object? options) => throw new NotSupportedException();
            }
            """);

        var result = await Upload(uploader, "Throwing.dll", File.ReadAllBytes(dll));

        Assert.True(result.Succeeded, result.Error);
        var entry = Assert.Single(result.Entries);
        Assert.Equal(PluginStatus.Failed, entry.Status);
        Assert.Contains("threw while being created: InvalidOperationException: no licence file found", entry.Error);
        Assert.NotNull(plugins.Catalog.Resolve<IObjectivePlugin>("mim-jepa", "objective.id"));
        Assert.Equal("ThrowingDataset", entry.Id);
        Assert.Throws<PluginException>(() => plugins.Catalog.Resolve<IDatasetPlugin>("throwing", "dataset.id"));
    }

    [Fact]
    public async Task ASingleDllIsNamedAfterItsAssembly()
    {
        var (plugins, uploader) = Create();
        // The dependency travels beside it as a loose DLL, so the plugin can be used.
        File.Copy(Path.Combine(ExternalPlugin.BuildFolder, ExternalPlugin.DependencyName + ".dll"), Path.Combine(plugins.UploadFolder, ExternalPlugin.DependencyName + ".dll"));

        var result = await Upload(uploader, "ExternalStripes (1).dll", PluginDll);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(Path.Combine(plugins.UploadFolder, ExternalPlugin.Name), result.Folder);
        var entry = Assert.Single(result.Entries);
        Assert.True(entry.Status == PluginStatus.Loaded, entry.Error);
    }

    [Theory]
    [InlineData("plugin.txt", "is not a plugin package: upload a .zip")]
    [InlineData("plugin.tar.gz", "is not a plugin package: upload a .zip")]
    [InlineData("bad.zip", "is not a valid zip archive")]
    public async Task WrongFilesAreRejectedWithTheReason(string name, string expected)
    {
        var (plugins, uploader) = Create();

        var result = await Upload(uploader, name, [1, 2, 3, 4, 5, 6, 7, 8]);

        Assert.False(result.Succeeded);
        Assert.Contains(expected, result.Error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(plugins.UploadFolder));
    }

    [Fact]
    public async Task AZipWithoutADllIsRejected()
    {
        var (plugins, uploader) = Create();

        var result = await Upload(uploader, "Docs.zip", ZipOf(("README.md", [35, 32, 104, 105]), ("lib/notes.txt", [1])));

        Assert.False(result.Succeeded);
        Assert.Contains("contains no .dll", result.Error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(plugins.UploadFolder));
    }

    [Fact]
    public async Task AZipWithSeveralDllsNoneNamedAfterItIsRejected()
    {
        var (_, uploader) = Create();
        string zip = ExternalPlugin.Zip(Path.Combine(_root, "upload.zip"));

        var result = await Upload(uploader, "stripes-v2.zip", File.ReadAllBytes(zip));

        Assert.False(result.Succeeded);
        Assert.Contains("several DLLs", result.Error);
        Assert.Contains("name the zip after the plugin's main DLL", result.Error);
    }
}
