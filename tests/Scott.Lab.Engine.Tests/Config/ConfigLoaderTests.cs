using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Masking;
using Scott.Lab.Engine.Config;

namespace Scott.Lab.Engine.Tests.Config;

public sealed class ConfigLoaderTests : IDisposable
{
    private const string Yaml = """
        name: test-run
        dataset:
          id: fashion-mnist
          options:
            root: /data/fm
        tokenizer:
          id: scott
          options:
            stages: 1
        objective:
          id: mim-jepa
        model:
          image_size: 28
          width: 64
          depth: 2
          heads: 4
        optimizer:
          lr: 0.001
          weight_decay: [0.04, 0.4]
        trainer:
          epochs: 3
          batch_size: 32
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("scott-lab-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string yaml = Yaml)
    {
        string path = Path.Combine(_dir, $"run-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private RunSpec Load(params string[] overrides) => RunSpecBinder.BindWithoutPlugins(ConfigLoader.LoadTree(Write(), overrides));

    private ConfigException Fails(params string[] overrides) => Assert.Throws<ConfigException>(() => Load(overrides));

    [Fact]
    public void Loads_a_yaml_file_into_typed_options_with_defaults_for_the_rest()
    {
        var config = Load();
        Assert.Equal("test-run", config.Name);
        Assert.Equal("fashion-mnist", config.Dataset.Id);
        Assert.Equal("/data/fm", (string?)config.Dataset.Options!["root"]);
        Assert.Equal(1, (int?)config.Tokenizer.Options!["stages"]);
        Assert.Equal(28, config.Model.ImageSize);
        Assert.Equal(64, config.Model.Width);
        Assert.Equal(4, config.Model.Heads);
        Assert.Equal(1e-3, config.Optimizer.Lr);
        Assert.Equal(new[] { 0.04, 0.4 }, config.Optimizer.WeightDecay);
        Assert.Equal(32, config.Trainer.BatchSize);
        Assert.Equal("swiglu", config.Model.Ffn);      // default
        Assert.Equal(47, config.Trainer.Seed);          // default
        Assert.Null(config.Trainer.Steps);
    }

    [Fact]
    public void Set_overrides_nested_keys_lists_and_creates_missing_sections()
    {
        var config = Load("optimizer.weight_decay=[0.1, 0.2]", "model.depth=5", "trainer.steps=7",
            "objective.options.mask_ratio=0.75", "augment.crop_scale=[0.5, 1.0]", "model.ffn=mlp");
        Assert.Equal(new[] { 0.1, 0.2 }, config.Optimizer.WeightDecay);
        Assert.Equal(5, config.Model.Depth);
        Assert.Equal(64, config.Model.Width); // siblings survive
        Assert.Equal(7L, config.Trainer.Steps);
        Assert.Equal(0.75, (double?)config.Objective.Options!["mask_ratio"]);
        Assert.Equal(new[] { 0.5, 1.0 }, config.Augment!.CropScale);
        Assert.Equal("mlp", config.Model.Ffn);
    }

    [Fact]
    public void Negative_lr_names_optimizer_lr()
    {
        var e = Fails("optimizer.lr=-0.001");
        Assert.Contains("optimizer.lr", e.Message);
        Assert.Contains("-0.001", e.Message);
    }

    [Fact]
    public void Unknown_key_names_the_key_and_says_unknown_key()
    {
        var e = Fails("model.widht=64");
        Assert.Contains("model.widht", e.Message);
        Assert.Contains("unknown key", e.Message);
        Assert.Contains("width", e.Message.Replace("widht", "")); // the allowed keys are listed
    }

    [Fact]
    public void Unknown_key_in_the_yaml_file_itself()
    {
        var e = Assert.Throws<ConfigException>(() => RunSpecBinder.BindWithoutPlugins(ConfigLoader.LoadTree(Write(Yaml + "\n  batch_sise: 4\n"))));
        Assert.Contains("trainer.batch_sise", e.Message);
        Assert.Contains("unknown key", e.Message);
    }

    [Fact]
    public void Wrong_type_names_the_key()
    {
        var e = Fails("trainer.batch_size=abc");
        Assert.Contains("trainer.batch_size", e.Message);
        Assert.Contains("wrong type", e.Message);
    }

    [Fact]
    public void Heads_that_do_not_divide_the_width_name_model_heads()
    {
        var e = Fails("model.heads=5");
        Assert.Contains("model.heads", e.Message);
    }

    [Fact]
    public void Several_problems_are_reported_together()
    {
        var e = Fails("model.heads=5", "optimizer.lr=0", "optimizer.weight_decay=[0.1]");
        Assert.Contains("model.heads", e.Message);
        Assert.Contains("optimizer.lr", e.Message);
        Assert.Contains("optimizer.weight_decay", e.Message);
    }

    [Fact]
    public void Missing_plugin_id_is_required()
    {
        var e = Assert.Throws<ConfigException>(() => RunSpecBinder.BindWithoutPlugins(ConfigLoader.LoadTree(Write("model:\n  width: 64\n"))));
        Assert.Contains("dataset.id", e.Message);
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        string path = Path.Combine(_dir, "nope", "missing.yaml");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.LoadTree(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Invalid_yaml_and_bad_set_syntax_are_config_errors()
    {
        var yaml = Assert.Throws<ConfigException>(() => ConfigLoader.LoadTree(Write("model: [1, 2\n")));
        Assert.Contains("invalid YAML", yaml.Message);
        var set = Assert.Throws<ConfigException>(() => Load("trainer.batch_size"));
        Assert.Contains("key=value", set.Message);
    }

    // ---- plugin options ----

    private sealed class TestPluginOptions
    {
        [Range(1, 32)] public int PatchSize { get; set; } = 4;
        public MaskMode MaskMode { get; set; } = MaskMode.Blockwise;
        [Range(0.0, 1.0)] public double DropRate { get; set; }
    }

    private static TestPluginOptions BindPlugin(string json) =>
        (TestPluginOptions)RunSpecBinder.BindOptions(typeof(TestPluginOptions), JsonNode.Parse(json)!.AsObject(), "tokenizer.options");

    [Fact]
    public void Plugin_options_bind_snake_case_keys_and_enum_strings()
    {
        var options = BindPlugin("""{ "patch_size": 8, "mask_mode": "uniform", "drop_rate": 0.25 }""");
        Assert.Equal(8, options.PatchSize);
        Assert.Equal(MaskMode.Uniform, options.MaskMode);
        Assert.Equal(0.25, options.DropRate);
    }

    [Fact]
    public void Plugin_options_from_a_yaml_tree_bind_the_same_way()
    {
        var tree = ConfigLoader.LoadTree(Write(), ["tokenizer.options.patch_size=16", "tokenizer.options.mask_mode=uniform"]);
        var node = tree["tokenizer"]!["options"]!.AsObject();
        node.Remove("stages");
        var options = (TestPluginOptions)RunSpecBinder.BindOptions(typeof(TestPluginOptions), node, "tokenizer.options");
        Assert.Equal(16, options.PatchSize);
        Assert.Equal(MaskMode.Uniform, options.MaskMode);
    }

    [Fact]
    public void Plugin_options_default_when_absent()
    {
        var options = (TestPluginOptions)RunSpecBinder.BindOptions(typeof(TestPluginOptions), null, "tokenizer.options");
        Assert.Equal(4, options.PatchSize);
    }

    [Fact]
    public void Plugin_option_range_violation_names_the_full_key()
    {
        var e = Assert.Throws<ConfigException>(() => BindPlugin("""{ "patch_size": 64 }"""));
        Assert.Contains("tokenizer.options.patch_size", e.Message);
        Assert.Contains("64", e.Message);
    }

    [Fact]
    public void Plugin_option_unknown_key_and_bad_enum_name_the_full_key()
    {
        var unknown = Assert.Throws<ConfigException>(() => BindPlugin("""{ "patch_sise": 8 }"""));
        Assert.Contains("tokenizer.options.patch_sise", unknown.Message);
        Assert.Contains("unknown key", unknown.Message);
        var badEnum = Assert.Throws<ConfigException>(() => BindPlugin("""{ "mask_mode": "checkerboard" }"""));
        Assert.Contains("tokenizer.options.mask_mode", badEnum.Message);
    }
}
