using System.Text.Json;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Plugins;

namespace Scott.Lab.Web.Tests.Plugins;

/// <summary>
/// Issue 15, item 9: a plugin whose constructor calls <c>Environment.Exit(7)</c> is probed in a child process
/// (<c>scott-lab plugins probe FILE</c>) before the portal loads it, quarantined with the reason, listed on the
/// Plugins page and in <c>/api/plugins</c>, kept out across restarts, and probed again once the file is replaced.
/// Before this change the portal loaded the file in-process: the first test's portal, and with it the test host,
/// exited with code 7 at start-up.
/// </summary>
public sealed class PluginQuarantineTests
{
    private const string ExitingName = "ExitOnLoad";

    /// <summary>A dataset plugin whose constructor ends the process that creates it, with exit code 7.</summary>
    private const string ExitingSource = """
        using Scott.Lab.Abstractions.Data;
        using Scott.Lab.Abstractions.Plugins;

        namespace ExitOnLoad;

        public sealed class ExitOptions { }

        public sealed class ExitingPlugin : PluginBase<ExitOptions>, IDatasetPlugin
        {
            public ExitingPlugin() => System.Environment.Exit(7);
            public override string Id => "exit-on-load";
            public override string DisplayName => "Exits on load";
            public override string Description => "Calls Environment.Exit(7) in its constructor.";
            public IImageDataset Open(object? options) => throw new System.NotSupportedException();
        }
        """;

    /// <summary>The same file name, fixed: a well-behaved plugin.</summary>
    private static string FixedSource => ExitingSource
        .Replace("public ExitingPlugin() => System.Environment.Exit(7);", "")
        .Replace("\"exit-on-load\"", "\"fixed-on-load\"");

    private static string CompileExiting(string pluginsFolder) =>
        ExternalPlugin.CompileInto(Path.Combine(pluginsFolder, ExitingName), ExitingName, ExitingSource);

    [Fact]
    public async Task APluginThatExitsTheProcessIsQuarantinedListedAndKeptOutAcrossRestarts()
    {
        // One data folder for both portals (a TestPortal deletes its own folder when disposed).
        string root = TempFolder.Create("quarantine");
        try
        {
            await QuarantinedAcrossRestarts(Path.Combine(root, "data"));
        }
        finally
        {
            TempFolder.TryDelete(root);
        }
    }

    private static async Task QuarantinedAcrossRestarts(string dataDir)
    {
        var settings = new Dictionary<string, string?> { ["ScottLab:DataDir"] = dataDir };
        string dll = CompileExiting(Path.Combine(dataDir, "plugins"));
        ExternalPlugin.CopyPluginFolderTo(Path.Combine(dataDir, "plugins")); // a good plugin beside it
        PluginProbeRecord probed;
        using (var portal = new TestPortal(settings))
        {
            // The portal is up: the file was never loaded here.
            var entry = Assert.Single(portal.Plugins.Catalog.Entries, e => e.AssemblyPath == dll);
            Assert.Equal(PluginStatus.Quarantined, entry.Status);
            Assert.Null(entry.Instance);
            Assert.StartsWith("quarantined: loading it in a separate process (scott-lab plugins probe) ended that process with exit code 7 before it finished", entry.Error);
            Assert.EndsWith("it is not loaded until the file is replaced", entry.Error);
            Assert.Equal(PluginStatus.Loaded, Assert.Single(portal.Plugins.Catalog.Entries, e => e.Id == ExternalPlugin.Id).Status);
            Assert.NotNull(portal.Plugins.Catalog.Resolve<ITokenizerPlugin>("scott", "tokenizer.id"));

            // Listed with the reason in the API and on the Plugins page.
            var client = portal.Factory.CreateClient();
            using var json = JsonDocument.Parse(await client.GetStringAsync("/api/plugins"));
            var row = json.RootElement.EnumerateArray().Single(e => e.GetProperty("file").GetString() == dll);
            Assert.Equal("Quarantined", row.GetProperty("status").GetString());
            Assert.Equal(entry.Error, row.GetProperty("error").GetString());
            string html = await client.GetStringAsync("/plugins");
            Assert.Contains($"data-testid=\"plugin-row-{ExitingName}.dll\"", html);
            Assert.Contains($"{ExitingName}.dll quarantined: loading it in a separate process", html);

            // Recorded by the file's SHA-256, in the data folder.
            probed = Assert.Single(portal.Plugins.Quarantine.All().Values, r => r.Path == dll);
            Assert.Equal((entry.Sha256, false, entry.Error), (probed.Sha256, probed.Passed, probed.Reason));
        }

        // A restart on the same data folder: quarantined from the record, without probing (or loading) it again.
        using (var again = new TestPortal(settings))
        {
            var entry = Assert.Single(again.Plugins.Catalog.Entries, e => e.AssemblyPath == dll);
            Assert.Equal(PluginStatus.Quarantined, entry.Status);
            Assert.Equal(probed, again.Plugins.Quarantine.Find(entry.Sha256)); // same ProbedUtc: not probed again
            Assert.Equal(PluginStatus.Loaded, Assert.Single(again.Plugins.Catalog.Entries, e => e.Id == ExternalPlugin.Id).Status);

            // Replaced by a fixed build (new bytes): probed again, and loaded without a restart.
            ExternalPlugin.CompileInto(Path.GetDirectoryName(dll)!, ExitingName, FixedSource);
            await Eventually.True(() => again.Plugins.Catalog.Entries.Any(e => e.AssemblyPath == dll && e.Status == PluginStatus.Loaded),
                "the replaced file to be probed and loaded", TimeSpan.FromSeconds(60));
            Assert.Equal("fixed-on-load", Assert.Single(again.Plugins.Catalog.Entries, e => e.AssemblyPath == dll).Id);
            Assert.Contains(again.Plugins.Quarantine.All().Values, r => r.Path == dll && r.Passed);
        }
    }

    [Fact]
    public async Task APluginThatExitsDroppedIntoARunningPortalIsQuarantinedAndTheWorkersSkipItToo()
    {
        using var portal = new TestPortal();

        string dll = CompileExiting(portal.Plugins.UploadFolder);

        await Eventually.True(() => portal.Plugins.Catalog.Entries.Any(e => e.AssemblyPath == dll),
            "the watcher to probe the new file", TimeSpan.FromSeconds(60));
        var entry = Assert.Single(portal.Plugins.Catalog.Entries, e => e.AssemblyPath == dll);
        Assert.Equal(PluginStatus.Quarantined, entry.Status);
        Assert.Contains("exit code 7", entry.Error);
        // Still serving.
        Assert.Contains("data-testid=\"plugin-row-ExitOnLoad.dll\"", await portal.Factory.CreateClient().GetStringAsync("/plugins"));

        // The CLI (and so the portal's workers, which get --data-dir) reads the same record and does not load the file.
        var catalog = PluginCatalog.Load([portal.Plugins.UploadFolder], new PluginQuarantine(portal.DataDir).QuarantineReason);
        var seen = Assert.Single(catalog.Entries, e => e.AssemblyPath == dll);
        Assert.Equal((PluginStatus.Quarantined, entry.Error), (seen.Status, seen.Error));
        var error = Assert.Throws<PluginException>(() => catalog.Resolve<IDatasetPlugin>(ExitingName, "dataset.id"));
        Assert.Contains("is quarantined", error.Message);
    }
}
