using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Training;
using Scott.Lab.Plugins;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Tests.Plugins;

/// <summary>
/// The proof that a plugin built outside this repository drops into a running portal: it appears in the catalog
/// without a restart, its options bind and validate like a built-in plugin's, and a run trains on it.
/// </summary>
public sealed class ExternalPluginTests
{
    [Fact]
    public async Task APluginBuiltOutsideTheRepositoryAppearsInARunningPortalAndTrains()
    {
        using var portal = new TestPortal();
        Assert.DoesNotContain(portal.Plugins.Catalog.Entries, e => e.Id == ExternalPlugin.Id);
        Assert.Contains(portal.Plugins.UploadFolder, portal.Watcher.WatchedFolders);

        // Copied file by file, as a person would: the watcher's debounce waits for the copy to finish.
        ExternalPlugin.CopyPluginFolderTo(portal.Plugins.UploadFolder);

        await Eventually.True(() => portal.Plugins.Catalog.Entries.Any(e => e.Id == ExternalPlugin.Id), "the external plugin to appear in the catalog");
        var entry = Assert.Single(portal.Plugins.Catalog.Entries, e => e.Id == ExternalPlugin.Id);
        Assert.True(entry.Status == PluginStatus.Loaded, entry.Error);
        Assert.Equal(PluginKind.Dataset, entry.Kind);
        Assert.Equal(ExternalPlugin.Version, entry.Version);
        Assert.Equal(Path.Combine(portal.Plugins.UploadFolder, ExternalPlugin.Name, ExternalPlugin.Name + ".dll"), entry.AssemblyPath);

        // Resolved like a built-in plugin; its options type binds from config keys and is validated.
        var plugin = portal.Plugins.Catalog.Resolve<IDatasetPlugin>(ExternalPlugin.Id, "dataset.id");
        Assert.StartsWith(portal.Plugins.UploadFolder, plugin.GetType().Assembly.Location);
        var options = RunSpecBinder.BindOptions(plugin.OptionsType, new() { ["count"] = 16, ["size"] = 12, ["period"] = 3 }, "dataset.options");
        using (var dataset = plugin.Open(options))
        {
            var train = Assert.Single(dataset.PretrainingSplits).Images;
            Assert.Equal(16, train.Count);
            var vertical = train.Read(1); // uses ExternalStripes.Patterns.dll, loaded from the plugin's folder
            Assert.Equal((12, 12, 1, 1), (vertical.Width, vertical.Height, vertical.Channels, vertical.Label));
            Assert.Equal(vertical.Pixels[0], vertical.Pixels[11 * 12]); // vertical stripes: columns are constant
            Assert.NotEqual(vertical.Pixels[0], vertical.Pixels[3]);
        }
        var invalid = Assert.Throws<ConfigException>(() =>
            RunSpecBinder.BindOptions(plugin.OptionsType, new() { ["period"] = 1 }, "dataset.options"));
        Assert.Contains("dataset.options.period", invalid.Message);

        // A run assembled on it trains: a real optimiser step on the external images, through the built-in tokenizer and objective.
        var tree = ConfigLoader.LoadTree(Path.Combine(RepositoryRoot.Find(), "configs", "ssl", "tiny.yaml"),
        [
            $"dataset.id={ExternalPlugin.Id}", "dataset.options={count: 64, size: 28, period: 4}",
            "trainer.steps=2", "trainer.batch_size=16",
        ]);
        using var run = RunBuilder.Build(RunSpecBinder.BindWithoutPlugins(tree), portal.Plugins.Catalog);
        Assert.Contains(run.Plugins, p => p.Kind == "dataset" && p.Id == ExternalPlugin.Id && p.Version == ExternalPlugin.Version && p.Sha256 == entry.Sha256);
        using var trainer = new Trainer(run);
        var step = trainer.Step(0, withMetrics: false);
        Assert.True(double.IsFinite(step.Loss) && step.Loss > 0, $"loss {step.Loss}");

        // And the Plugins page lists it.
        string html = await portal.Factory.CreateClient().GetStringAsync("/plugins");
        Assert.Contains($"data-testid=\"plugin-row-{ExternalPlugin.Id}\"", html);
        Assert.Contains("data-testid=\"plugin-upload\"", html);
    }

    [Fact]
    public async Task ALoadedDllReplacedOnDiskIsPendingRestartAndTheOldVersionStaysInUse()
    {
        using var portal = new TestPortal(beforeStart: data => ExternalPlugin.CopyPluginFolderTo(Path.Combine(data, "plugins")));
        var entry = Assert.Single(portal.Plugins.Catalog.Entries, e => e.Id == ExternalPlugin.Id);
        Assert.Equal(PluginStatus.Loaded, entry.Status);
        Assert.Empty(portal.Plugins.PendingRestart);

        // A new build of the plugin lands over the loaded one (different bytes).
        byte[] bytes = File.ReadAllBytes(entry.AssemblyPath);
        File.WriteAllBytes(entry.AssemblyPath, [.. bytes, 0, 0, 0, 0]);
        await Eventually.True(() => portal.Plugins.PendingRestart.Any(p => p.Path == entry.AssemblyPath), "the replaced DLL to be pending a restart");
        var pending = Assert.Single(portal.Plugins.PendingRestart);
        Assert.False(pending.Removed);
        Assert.Contains("replaced on disk: restart the portal to apply", pending.Message);
        Assert.NotNull(portal.Plugins.Catalog.Resolve<IDatasetPlugin>(ExternalPlugin.Id, "dataset.id"));
        string html = await portal.Factory.CreateClient().GetStringAsync("/plugins");
        Assert.Contains("restart the portal to apply", html);
        // The API says the same: the loaded version (its hash) is in use, and the file on disk waits for a restart.
        var api = System.Text.Json.Nodes.JsonNode.Parse(await portal.Factory.CreateClient().GetStringAsync("/api/plugins"))!.AsArray();
        var listed = api.Single(p => p!["id"]?.GetValue<string>() == ExternalPlugin.Id)!;
        Assert.Equal(entry.Sha256, listed["sha256"]!.GetValue<string>());
        Assert.Contains("replaced on disk: restart the portal to apply", listed["pendingRestart"]!.GetValue<string>());

        // Removed: still in use, now pending as removed.
        Directory.Delete(Path.GetDirectoryName(entry.AssemblyPath)!, recursive: true);
        await Eventually.True(() => portal.Plugins.PendingRestart.Any(p => p.Removed), "the removed DLL to be pending a restart");
        Assert.Contains("removed on disk", Assert.Single(portal.Plugins.PendingRestart).Message);
        Assert.Equal(PluginStatus.Loaded, Assert.Single(portal.Plugins.Catalog.Entries, e => e.Id == ExternalPlugin.Id).Status);
    }

    [Fact]
    public async Task AFailedFileThatIsFixedOnDiskLoadsWithoutARestart()
    {
        string broken = "";
        using var portal = new TestPortal(beforeStart: data =>
        {
            // As if the portal had scanned a DLL that was still being copied.
            string folder = Path.Combine(data, "plugins", ExternalPlugin.Name);
            Directory.CreateDirectory(folder);
            broken = Path.Combine(folder, ExternalPlugin.Name + ".dll");
            File.WriteAllBytes(broken, [0x4d, 0x5a, 1, 2, 3]);
        });
        var failed = Assert.Single(portal.Plugins.Catalog.Entries, e => e.AssemblyPath == broken);
        Assert.Equal(PluginStatus.Failed, failed.Status);
        Assert.Contains("not a .NET assembly", failed.Error);
        bool changed = false;
        portal.Plugins.Changed += () => changed = true;

        foreach (var file in Directory.GetFiles(ExternalPlugin.BuildFolder))
            File.Copy(file, Path.Combine(Path.GetDirectoryName(broken)!, Path.GetFileName(file)), overwrite: true);

        await Eventually.True(() => portal.Plugins.Catalog.Entries.Any(e => e.AssemblyPath == broken && e.Status == PluginStatus.Loaded), "the fixed DLL to load");
        Assert.Single(portal.Plugins.Catalog.Entries, e => e.AssemblyPath == broken);
        Assert.Empty(portal.Plugins.PendingRestart);
        Assert.True(changed, "PortalPlugins.Changed was not raised");
        // The built-in plugins were never disturbed.
        Assert.NotNull(portal.Plugins.Catalog.Resolve<ITokenizerPlugin>("scott", "tokenizer.id"));
    }

    [Fact]
    public async Task AConfiguredPluginFolderThatIsMissingAtStartIsPolledAndLoadsWhenItAppears()
    {
        string extra = Path.Combine(Path.GetTempPath(), "scott-lab-extra-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            using var portal = new TestPortal(new Dictionary<string, string?> { ["ScottLab:PluginFolders:0"] = extra });
            Assert.Contains(extra, portal.Plugins.Folders);
            Assert.Contains(extra, portal.Watcher.PolledFolders);
            Assert.DoesNotContain(extra, portal.Watcher.WatchedFolders);

            ExternalPlugin.CopyPluginFolderTo(extra);

            await Eventually.True(() => portal.Plugins.Catalog.Entries.Any(e => e.Id == ExternalPlugin.Id && e.Status == PluginStatus.Loaded), "the plugin in the new folder to load");
            Assert.StartsWith(extra, Assert.Single(portal.Plugins.Catalog.Entries, e => e.Id == ExternalPlugin.Id).AssemblyPath);
        }
        finally
        {
            TempFolder.TryDelete(extra);
        }
    }
}
