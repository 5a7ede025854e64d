using Scott.Lab.Abstractions.Plugins;

namespace Scott.Lab.Plugins.Tests;

/// <summary>A plugin that needs a newer host is listed as failed with a message naming it, its file, both versions and the fix.</summary>
public class HostVersionTests
{
    /// <summary>A dataset plugin; <paramref name="oldShape"/>: as written against the earlier contract (a Kind override, no minimum).</summary>
    private static string Dataset(string name, string id, string? minimum, bool oldShape = false) => $$"""
        using System;
        using Scott.Lab.Abstractions.Plugins;
        [assembly: System.Reflection.AssemblyVersion("1.2.3.0")]
        namespace {{name}};
        public sealed class Options { }
        public sealed class Plugin : PluginBase<Options>, IDatasetPlugin
        {
            public override string Id => "{{id}}";
            public override string DisplayName => "{{id}}";
            public override string Description => "";
            {{(minimum is null ? "" : $"public override string MinimumHostVersion => \"{minimum}\";")}}
            {{(oldShape ? "public override PluginKind Kind => PluginKind.Dataset;" : "")}}
            public Scott.Lab.Abstractions.Data.IImageDataset Open(object? options) => throw new NotSupportedException();
        }
        """;

    [Fact]
    public void TheHostVersionIsTheContractsVersion()
    {
        Assert.Equal(PluginContract.Version, new PluginCatalog().HostVersion);
        Assert.Equal(3, PluginContract.Version.ToString().Split('.').Length);
        Assert.Equal(new Version(0, 2, 0), PluginContract.Normalise(new Version(0, 2)));
    }

    [Fact]
    public void APluginThatNeedsANewerHostIsListedAsFailedWithBothVersionsAndTheFix()
    {
        string folder = TestPlugins.TempFolder();
        TestPlugins.CompilePlugin(folder, "Future", Dataset("Future", "future-data", "99.1.0"), TestPlugins.CurrentContract);

        var catalog = PluginCatalog.Load([folder]);

        var entry = Assert.Single(catalog.Entries);
        Assert.Equal(PluginStatus.Failed, entry.Status);
        Assert.Null(entry.Instance);
        Assert.Equal((PluginKind?)PluginKind.Dataset, entry.Kind);
        Assert.Equal(("future-data", "1.2.3"), (entry.Id, entry.Version));
        string host = PluginContract.Version.ToString();
        Assert.Equal($"dataset 'future-data' 1.2.3 (Future.dll) needs Scott.Lab 99.1.0 or newer (its MinimumHostVersion); this host is Scott.Lab {host}. " +
                     $"Upgrade Scott.Lab to 99.1.0 or later, or use a build of 'future-data' made for Scott.Lab {host}.", entry.Error);

        // A config naming it gets that message under its key, not "unknown dataset".
        var e = Assert.Throws<PluginException>(() => catalog.Resolve<IDatasetPlugin>("future-data", "dataset.id"));
        Assert.StartsWith("dataset.id: plugin 'future-data' failed to load: dataset 'future-data' 1.2.3 (Future.dll) needs Scott.Lab 99.1.0", e.Message);
    }

    [Fact]
    public void APluginLoadsOnItsMinimumHostAndNewerOnesAndIsRefusedByAnOlderOne()
    {
        // Hosts stood in for by their version. The plugin is built against this contract (C) and declares C + 1 minor.
        var contract = PluginContract.Version;
        var minimum = new Version(contract.Major, contract.Minor + 1, 0);
        string folder = TestPlugins.TempFolder();
        TestPlugins.CompilePlugin(folder, "NextMinor", Dataset("NextMinor", "next-minor", minimum.ToString()), TestPlugins.CurrentContract);

        Assert.Equal(PluginStatus.Loaded, Load(new PluginCatalog(minimum), folder).Status);
        Assert.Equal(PluginStatus.Loaded, Load(new PluginCatalog(new Version(contract.Major + 1, 0, 0)), folder).Status);
        var between = new Version(contract.Major, contract.Minor, contract.Build + 1);
        var older = Load(new PluginCatalog(between), folder);
        Assert.Equal(PluginStatus.Failed, older.Status);
        Assert.Contains($"needs Scott.Lab {minimum} or newer (its MinimumHostVersion); this host is Scott.Lab {between}", older.Error);
    }

    [Fact]
    public void WithoutADeclaredMinimumAPluginNeedsOnlyTheContractItWasBuiltAgainst()
    {
        string folder = TestPlugins.TempFolder();
        TestPlugins.CompilePlugin(folder, "Undeclared", Dataset("Undeclared", "undeclared", minimum: null), TestPlugins.CurrentContract);
        var entry = Load(new PluginCatalog(PluginContract.Version), folder);
        Assert.True(entry.Status == PluginStatus.Loaded, entry.Error);
        Assert.Equal("0.0.0", entry.Instance!.MinimumHostVersion);

        // A host older than the contract it was compiled against refuses it all the same (see below).
        var older = Load(new PluginCatalog(new Version(0, 0, 1)), folder);
        Assert.Equal(PluginStatus.Failed, older.Status);
        Assert.StartsWith($"Undeclared.dll was built against Scott.Lab.Abstractions {PluginContract.Version}", older.Error);
    }

    [Fact]
    public void APluginImplementingTheInterfaceDirectlyDeclaresItsMinimumTheSameWay()
    {
        string folder = TestPlugins.TempFolder();
        TestPlugins.CompilePlugin(folder, "Direct", """
            using System;
            using Scott.Lab.Abstractions.Plugins;
            namespace Direct;
            public sealed class Options { }
            public sealed class Plugin : IDatasetPlugin
            {
                public string Id => "direct";
                public string DisplayName => "Direct";
                public string Description => "";
                public string Version => "1.0.0";
                public Type OptionsType => typeof(Options);
                public string MinimumHostVersion => "99.0.0";
                public Scott.Lab.Abstractions.Data.IImageDataset Open(object? options) => throw new NotSupportedException();
            }
            """, TestPlugins.CurrentContract);
        var entry = Load(new PluginCatalog(), folder);
        Assert.Equal(PluginStatus.Failed, entry.Status);
        Assert.Contains("dataset 'direct' 1.0.0 (Direct.dll) needs Scott.Lab 99.0.0 or newer", entry.Error);
    }

    [Fact]
    public void AMinimumThatIsNotAVersionIsThePluginsErrorAndSaysSo()
    {
        string folder = TestPlugins.TempFolder();
        TestPlugins.CompilePlugin(folder, "Sloppy", Dataset("Sloppy", "sloppy", "latest"), TestPlugins.CurrentContract);
        var entry = Load(new PluginCatalog(), folder);
        Assert.Equal(PluginStatus.Failed, entry.Status);
        Assert.Equal("dataset 'sloppy' 1.2.3 (Sloppy.dll) declares MinimumHostVersion 'latest', which is not a version (major.minor.patch, e.g. 0.1.0); fix Sloppy.Plugin.", entry.Error);
    }

    [Fact]
    public void APluginBuiltAgainstANewerContractIsRefusedBeforeItsTypesLoad()
    {
        // Built against Scott.Lab.Abstractions 99.0.0: the runtime would not bind it to this host's older contract,
        // and without the check the error would be a bare FileLoadException from its first type.
        string folder = TestPlugins.TempFolder();
        TestPlugins.CompilePlugin(folder, "NextContract", Dataset("NextContract", "next-contract", minimum: null, oldShape: true),
            TestPlugins.OldShapeContract("99.0.0.0"));

        var entry = Load(new PluginCatalog(), folder);

        Assert.Equal(PluginStatus.Failed, entry.Status);
        Assert.Null(entry.Kind); // its types were never loaded
        string host = PluginContract.Version.ToString();
        Assert.Equal($"NextContract.dll was built against Scott.Lab.Abstractions 99.0.0, so it needs Scott.Lab 99.0.0 or newer; this host is Scott.Lab {host}. " +
                     $"Upgrade Scott.Lab to 99.0.0 or later, or use a build of NextContract.dll made for Scott.Lab {host}.", entry.Error);
    }

    private static PluginEntry Load(PluginCatalog catalog, string folder)
    {
        catalog.Scan(folder);
        return Assert.Single(catalog.Entries);
    }
}
