using System.Diagnostics;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Training;
using Scott.Lab.Plugins;

namespace Scott.Lab.Cli.Tests;

/// <summary>The plugin template (plugins/Scott.Lab.SamplePlugin) builds on its own and its DLL works as a dropped-in plugin.</summary>
public class SamplePluginTests
{
    [Fact]
    public void TheSamplePluginBuildsLoadsThroughTheCatalogAndTrains()
    {
        string pluginFolder = Path.Combine(CliRunner.TempDir(), "Scott.Lab.SamplePlugin");
        // --no-dependencies: the contract is already built (this test references it); only the sample is compiled, once.
        var build = new ProcessStartInfo("dotnet", ["build", Path.Combine(CliRunner.RepoRoot, "plugins", "Scott.Lab.SamplePlugin"),
            "--no-dependencies", "-o", pluginFolder, "-v", "quiet", "-nologo"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using (var process = Process.Start(build)!)
        {
            string log = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, log);
        }
        Assert.False(File.Exists(Path.Combine(pluginFolder, "TorchSharp.dll")), "a plugin must not ship TorchSharp");
        Assert.False(File.Exists(Path.Combine(pluginFolder, "Scott.Lab.Abstractions.dll")), "a plugin must not ship the contract");

        var catalog = PluginCatalog.Load([PluginCatalog.BuiltInFolder, Path.GetDirectoryName(pluginFolder)!]);
        var entry = Assert.Single(catalog.Entries, e => e.Id == "sample-barlow-twins");
        Assert.True(entry.Status == PluginStatus.Loaded, entry.Error);
        Assert.Equal(PluginKind.Objective, entry.Kind);
        Assert.Equal("1.0.0", entry.Version);

        // The built-in tiny preset, switched to the sample objective, with one of its options set the CLI's way.
        var tree = ConfigLoader.LoadTree(CliRunner.Config("configs/ssl/tiny.yaml"),
            ["objective.id=sample-barlow-twins", "objective.options.projector_dim=32", "trainer.steps=2", "trainer.batch_size=16"]);
        using var run = RunBuilder.Build(RunSpecBinder.BindWithoutPlugins(tree), catalog);
        Assert.Equal(32, run.Resolved["objective"]!["options"]!["projector_dim"]!.GetValue<int>());
        using var trainer = new Trainer(run);
        var step = trainer.Step(0, withMetrics: true);
        Assert.True(double.IsFinite(step.Loss) && step.Loss > 0, $"loss {step.Loss}");
        Assert.Contains("online_probe/acc", step.Metrics.Keys);

        var invalid = Assert.Throws<ConfigException>(() =>
            RunBuilder.Build(RunSpecBinder.BindWithoutPlugins(ConfigLoader.LoadTree(CliRunner.Config("configs/ssl/tiny.yaml"),
                ["objective.id=sample-barlow-twins", "objective.options.redundancy_weight=2"])), catalog));
        Assert.Contains("objective.options.redundancy_weight: must be between 0 and 1", invalid.Message);
    }
}
