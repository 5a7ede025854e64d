using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Training;
using Scott.Lab.Objectives.SimClr;
using Scott.Lab.Plugins;

namespace Scott.Lab.Objectives.Tests;

/// <summary>
/// Every objective through the host's own path (config → RunBuilder → Trainer) on the tiny preset, switched with
/// <c>--set objective.id=...</c> as a user would: the preset's MIM-JEPA options must not get in the way.
/// </summary>
public class ObjectiveRunTests
{
    internal static readonly Lazy<PluginCatalog> Catalog = new(() =>
    {
        // The built-in plugin assemblies this test project references, loaded through the real plugin loader.
        var catalog = PluginCatalog.Load([]);
        foreach (var assembly in new[] { typeof(SimClrPlugin).Assembly, typeof(Scott.Lab.Tokenizers.Patch.PatchTokenizerPlugin).Assembly, typeof(Scott.Lab.Datasets.FashionMnist.FashionMnistSamplePlugin).Assembly })
            catalog.LoadFile(assembly.Location);
        return catalog;
    });

    internal static string TinyPreset
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Scott.Lab.sln"))) return Path.Combine(dir.FullName, "configs", "ssl", "tiny.yaml");
            throw new InvalidOperationException("Scott.Lab.sln not found above " + AppContext.BaseDirectory);
        }
    }

    [Theory]
    [InlineData("simclr")]
    [InlineData("vicreg")]
    [InlineData("byol")]
    [InlineData("dino")]
    [InlineData("mae")]
    [InlineData("simmim")]
    [InlineData("mim-jepa")]
    [InlineData("supervised")]
    public void Each_objective_trains_on_the_tiny_preset_and_its_loss_falls(string id)
    {
        // The preset's own schedule (warm-up over its first epoch, 19 steps of 64); windows of 8 steps at each end.
        const int steps = 48, window = 8;
        var config = RunSpecBinder.BindWithoutPlugins(ConfigLoader.LoadTree(TinyPreset, [$"objective.id={id}", $"trainer.steps={steps}"]));
        using var run = RunBuilder.Build(config, Catalog.Value);
        Assert.Equal(id, run.Resolved["objective"]!["id"]!.ToString());
        using var trainer = new Trainer(run);
        var losses = new List<double>();
        for (int step = 0; step < steps; step++)
        {
            var result = trainer.Step(step, withMetrics: step == steps - 1);
            losses.Add(result.Loss);
            if (step == steps - 1)
            {
                // The host's monitors and online probe work from the objective's Features.
                Assert.Contains(Trainer.HealthStd, result.Metrics.Keys);
                Assert.Contains("online_probe/acc", result.Metrics.Keys);
            }
        }
        double first = losses.Take(window).Average(), last = losses.TakeLast(window).Average();
        Assert.True(last < first, $"{id}: mean loss of the first {window} steps {first:F4}, of the last {window} {last:F4}");
    }

    [Fact]
    public void Switching_the_objective_drops_the_presets_options_but_keeps_those_given_with_set()
    {
        // tiny.yaml sets objective.options.predictor_depth (a MIM-JEPA option).
        var switched = ConfigLoader.LoadTree(TinyPreset, ["objective.id=simclr"]);
        Assert.Null(switched["objective"]!["options"]);

        // Options given with --set survive the switch, before or after it.
        foreach (var order in new[] { new[] { "objective.options.temperature=0.3", "objective.id=simclr" }, new[] { "objective.id=simclr", "objective.options.temperature=0.3" } })
        {
            var tree = ConfigLoader.LoadTree(TinyPreset, order);
            Assert.Equal(0.3, tree["objective"]!["options"]!["temperature"]!.GetValue<double>());
            using var run = RunBuilder.Build(RunSpecBinder.BindWithoutPlugins(tree), Catalog.Value);
            Assert.Equal(0.3, run.Resolved["objective"]!["options"]!["temperature"]!.GetValue<double>());
        }

        // Setting the same id keeps the preset's options.
        var same = ConfigLoader.LoadTree(TinyPreset, ["objective.id=mim-jepa"]);
        Assert.Equal(1, same["objective"]!["options"]!["predictor_depth"]!.GetValue<long>());
    }

    [Fact]
    public void A_spec_bound_against_the_catalog_is_built_as_it_is_and_one_bound_without_plugins_is_bound_there()
    {
        var tree = ConfigLoader.LoadTree(TinyPreset, ["trainer.steps=1"]);
        var bound = RunSpecBinder.BindOrThrow(tree, Catalog.Value);
        using (var run = RunBuilder.Build(bound, Catalog.Value))
            Assert.Same(bound.Objective.Bound, run.Spec.Objective.Bound); // not bound a second time

        var unbound = RunSpecBinder.BindWithoutPlugins(tree);
        Assert.Null(unbound.Objective.Bound);
        using (var run = RunBuilder.Build(unbound, Catalog.Value))
        {
            Assert.NotNull(run.Spec.Objective.Bound);
            Assert.NotNull(run.Spec.Augment); // the objective's recipe filled in at build time
        }
    }

    [Fact]
    public void An_option_the_new_objective_does_not_know_is_an_error_naming_the_key_and_the_allowed_ones()
    {
        var config = RunSpecBinder.BindWithoutPlugins(ConfigLoader.LoadTree(TinyPreset, ["objective.id=simclr", "objective.options.predictor_depth=2"]));
        var error = Assert.Throws<ConfigException>(() => RunBuilder.Build(config, Catalog.Value));
        Assert.Contains("objective.options.predictor_depth: unknown key", error.Message);
        Assert.Contains("temperature", error.Message);
    }

    [Fact]
    public void Invalid_objective_options_are_config_errors_under_their_key()
    {
        var config = RunSpecBinder.BindWithoutPlugins(ConfigLoader.LoadTree(TinyPreset, ["objective.id=vicreg", "objective.options.variance_weight=-1"]));
        var error = Assert.Throws<ConfigException>(() => RunBuilder.Build(config, Catalog.Value));
        Assert.Contains("objective.options.variance_weight: must be between 0 and 1000", error.Message);
    }
}
