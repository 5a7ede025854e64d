using Scott.Lab.Abstractions.Plugins;

namespace Scott.Lab.Plugins.Tests;

/// <summary>
/// Plugins compiled against the contract as it was before Kind was dropped and the recipe was typed (a stand-in of
/// Scott.Lab.Abstractions in that shape, same name and version as the host's) still load and keep their kind.
/// </summary>
public class OldContractTests
{
    private const string OldPlugins = """
        using System;
        using System.Collections.Generic;
        using Scott.Lab.Abstractions.Objectives;
        using Scott.Lab.Abstractions.Plugins;
        namespace OldShape;

        public sealed class Options { }

        // The usual shape: PluginBase, with the Kind override the old contract required.
        public sealed class OldDataset : PluginBase<Options>, IDatasetPlugin
        {
            public override string Id => "old-dataset";
            public override string DisplayName => "Old dataset";
            public override string Description => "built against the earlier contract";
            public override PluginKind Kind => PluginKind.Dataset;
            public Scott.Lab.Abstractions.Data.IImageDataset Open(object? options) => throw new NotSupportedException();
        }

        // The interface implemented directly, with Kind and an AugmentDefaults recipe as public members.
        public sealed class OldObjective : IObjectivePlugin
        {
            public string Id => "old-objective";
            public string DisplayName => "Old objective";
            public string Description => "built against the earlier contract";
            public PluginKind Kind => PluginKind.Objective;
            public string Version => "2.0.0";
            public Type OptionsType => typeof(Options);
            public IReadOnlyDictionary<string, object> AugmentDefaults => new Dictionary<string, object> { ["color_p"] = 0.0 };
            public ObjectiveModule Create(object? options, ObjectiveContext context) => throw new NotSupportedException();
        }

        // The old contract's loophole: a class implementing only IScottLabPlugin, whose kind was its Kind. Not a plugin now.
        public sealed class KindOnly : IScottLabPlugin
        {
            public string Id => "kind-only";
            public string DisplayName => "";
            public string Description => "";
            public PluginKind Kind => PluginKind.Tokenizer;
            public string Version => "1.0.0";
            public Type OptionsType => typeof(Options);
        }
        """;

    [Fact]
    public void PluginsBuiltAgainstTheOldContractLoadWithTheKindTheirInterfaceSays()
    {
        string folder = TestPlugins.TempFolder();
        TestPlugins.CompilePlugin(folder, "OldShape", OldPlugins, TestPlugins.OldShapeContract(PluginContract.Version + ".0"));

        var catalog = PluginCatalog.Load([folder]);

        Assert.All(catalog.Entries, e => Assert.True(e.Status == PluginStatus.Loaded, e.Error));
        Assert.Equal(["old-dataset", "old-objective"], catalog.Entries.Select(e => e.Id).Order());
        var dataset = catalog.Resolve<IDatasetPlugin>("old-dataset", "dataset.id");
        Assert.Equal((PluginKind?)PluginKind.Dataset, catalog.EntryFor(dataset)!.Kind);
        Assert.Equal("0.0.0", dataset.MinimumHostVersion); // the contract's default: the old plugin declared none
        var objective = catalog.Resolve<IObjectivePlugin>("old-objective", "objective.id");
        Assert.Equal((PluginKind?)PluginKind.Objective, catalog.EntryFor(objective)!.Kind);
        Assert.Null(objective.Augmentation); // the typed member's default; the host reads the old AugmentDefaults itself (Engine tests)
        Assert.NotNull(objective.GetType().GetProperty("AugmentDefaults", typeof(IReadOnlyDictionary<string, object>)));
        Assert.False(objective.TrainsOnLabels);
    }

    [Fact]
    public void APluginThatImplementedKindExplicitlyCannotLoadAndIsListedAsFailed()
    {
        // The one shape the change breaks (docs/plugins.md): an explicit implementation names the removed member.
        string folder = TestPlugins.TempFolder();
        TestPlugins.CompilePlugin(folder, "ExplicitKind", """
            using System;
            using Scott.Lab.Abstractions.Plugins;
            namespace ExplicitKind;
            public sealed class Options { }
            public sealed class Plugin : IDatasetPlugin
            {
                public string Id => "explicit-kind";
                public string DisplayName => "";
                public string Description => "";
                PluginKind IScottLabPlugin.Kind => PluginKind.Dataset;
                public string Version => "1.0.0";
                public Type OptionsType => typeof(Options);
                public Scott.Lab.Abstractions.Data.IImageDataset Open(object? options) => throw new NotSupportedException();
            }
            """, TestPlugins.OldShapeContract(PluginContract.Version + ".0"));

        var catalog = PluginCatalog.Load([TestPlugins.TempFolder("empty"), folder]);

        var entry = Assert.Single(catalog.Entries);
        Assert.Equal(PluginStatus.Failed, entry.Status);
        Assert.Contains("could not be loaded: MissingMethodException: Method not found: 'Scott.Lab.Abstractions.Plugins.PluginKind Scott.Lab.Abstractions.Plugins.IScottLabPlugin.get_Kind()'", entry.Error);
        Assert.EndsWith($"rebuild it against Scott.Lab {PluginContract.Version}.", entry.Error);
    }
}
