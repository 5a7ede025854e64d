using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Engine.Config;
using Scott.Lab.Plugins;

namespace Scott.Lab.Engine.Tests.Config;

public sealed class RunSpecBinderTests
{
    // Fake plugins: the validator reads ids and option types only, so nothing here is ever opened or built.
    public sealed class FakeDatasetOptions
    {
        public string Root { get; set; } = "/data";
    }

    public sealed class FakeTokenizerOptions
    {
        [Range(1, 4)] public int Stages { get; set; } = 2;
    }

    public sealed class FakeObjectiveOptions
    {
        [Range(0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true)] public double MaskRatio { get; set; } = 0.6;
        public string MaskMode { get; set; } = "blockwise";
    }

    private sealed class FakeDataset : PluginBase<FakeDatasetOptions>, IDatasetPlugin
    {
        public override string Id => "fake-data";
        public override string DisplayName => "Fake data";
        public override string Description => "";
        public IImageDataset Open(object? options) => throw new InvalidOperationException("the validator must not open datasets");
    }

    private sealed class FakeTokenizer : PluginBase<FakeTokenizerOptions>, ITokenizerPlugin
    {
        public override string Id => "fake-tok";
        public override string DisplayName => "Fake tokenizer";
        public override string Description => "";
        public TokenizerModule Create(object? options, TokenizerContext context) => throw new InvalidOperationException("the validator must not build modules");
    }

    private sealed class FakeObjective : PluginBase<FakeObjectiveOptions>, IObjectivePlugin
    {
        public override string Id => "fake-ssl";
        public override string DisplayName => "Fake objective";
        public override string Description => "";
        public ObjectiveModule Create(object? options, ObjectiveContext context) => throw new InvalidOperationException("the validator must not build modules");
    }

    private static PluginEntry Entry(IScottLabPlugin plugin) =>
        new(PluginCatalog.KindOf(plugin), plugin.Id, plugin.Version, plugin.DisplayName, plugin.Description, $"/plugins/{plugin.Id}.dll", "", PluginStatus.Loaded, null, plugin);

    /// <summary>The fake dataset and tokenizer, for tests that bring their own objective.</summary>
    public static IReadOnlyList<PluginEntry> FakeDataAndTokenizer => [Entry(new FakeDataset()), Entry(new FakeTokenizer())];

    private static readonly IReadOnlyList<PluginEntry> Catalog =
    [
        Entry(new FakeDataset()), Entry(new FakeTokenizer()), Entry(new FakeObjective()),
        new(null, "Broken", "", "", "", "/plugins/Broken.dll", "", PluginStatus.Failed, "is not a .NET assembly (BadImageFormat).", null),
    ];

    private static JsonObject Spec() => (JsonObject)JsonNode.Parse("""
        {
          "name": "spec-test",
          "dataset": { "id": "fake-data" },
          "tokenizer": { "id": "fake-tok", "options": { "stages": 1 } },
          "objective": { "id": "fake-ssl", "options": { "mask_ratio": 0.5 } },
          "model": { "image_size": 28, "width": 32, "depth": 2, "heads": 2 },
          "optimizer": { "lr": 0.001 },
          "trainer": { "steps": 10, "batch_size": 8 }
        }
        """)!;

    private static Dictionary<string, List<string>> ByKey(SpecBinding v) =>
        v.Problems.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToList());

    [Fact]
    public void AValidSpecResolvesWithEveryDefaultFilledIn()
    {
        var result = RunSpecBinder.Bind(Spec(), Catalog);

        Assert.True(result.IsValid, string.Join("; ", result.Problems));
        var resolved = result.Resolved!;
        Assert.Equal("spec-test", resolved["name"]!.GetValue<string>());
        Assert.Equal(0.5, resolved["objective"]!["options"]!["mask_ratio"]!.GetValue<double>());
        Assert.Equal("blockwise", resolved["objective"]!["options"]!["mask_mode"]!.GetValue<string>()); // plugin default
        Assert.Equal("/data", resolved["dataset"]!["options"]!["root"]!.GetValue<string>()); // options omitted: defaults
        Assert.Equal(0.9, resolved["optimizer"]!["beta1"]!.GetValue<double>()); // built-in default
        Assert.Equal(10, resolved["trainer"]!["steps"]!.GetValue<long>());

        // The resolved YAML is what a worker binds: it must round-trip through the CLI's loader.
        var reloaded = RunSpecBinder.BindWithoutPlugins(ConfigLoader.ParseTree(ConfigLoader.ToYaml(resolved), "resolved"));
        Assert.Equal(32, reloaded.Model.Width);
        Assert.Equal("fake-ssl", reloaded.Objective.Id);
    }

    [Fact]
    public void ARetiredKeyIsOneProblemThatSaysWhereTheValueLivesNow()
    {
        var spec = Spec();
        spec["model"]!["predictor_depth"] = 2;

        var result = RunSpecBinder.Bind(spec, Catalog);

        var problem = Assert.Single(result.Problems);
        Assert.Equal("model.predictor_depth", problem.Key);
        Assert.Contains("objective.options.predictor_depth", problem.Message);
        Assert.DoesNotContain("\n", problem.Message);
        Assert.True(spec["model"]!.AsObject().ContainsKey("predictor_depth"), "the caller's tree stays as given");
    }

    [Fact]
    public void AStoredSpecThatNamesARetiredKeyIsUpgradedAndThenBinds()
    {
        var stored = Spec();
        stored["model"]!["predictor_depth"] = 3; // every resolved spec written before the key went names it
        Assert.True(RetiredKeys.Strip(stored));
        Assert.False(RetiredKeys.Strip(stored)); // nothing left to remove
        Assert.True(RunSpecBinder.Bind(stored, Catalog).IsValid);
    }

    [Fact]
    public void EveryProblemIsReportedAtOnceUnderItsKey()
    {
        var spec = Spec();
        spec["optimizer"]!["lr"] = -1;
        spec["model"]!["widht"] = 64;                    // a typo: unknown key
        spec["trainer"]!["batch_size"] = "abc";          // wrong type
        spec["tokenizer"]!["options"]!["stages"] = 9;    // plugin option out of range
        spec["objective"]!["options"]!["mask_ratio"] = 1.5;
        spec["objective"]!["options"]!["nope"] = 1;      // unknown plugin option
        spec["extra"] = true;                            // unknown section

        var problems = ByKey(RunSpecBinder.Bind(spec, Catalog));

        Assert.Contains(problems["optimizer.lr"], m => m.Contains("must be between 0 (exclusive) and 10, got -1"));
        Assert.Contains(problems["model.widht"], m => m.Contains("unknown key") && m.Contains("width"));
        Assert.Contains(problems["trainer.batch_size"], m => m.Contains("wrong type"));
        Assert.Contains(problems["tokenizer.options.stages"], m => m.Contains("between 1 and 4, got 9"));
        Assert.Contains(problems["objective.options.nope"], m => m.Contains("unknown key") && m.Contains("mask_ratio"));
        Assert.Contains(problems["extra"], m => m.Contains("unknown key"));
        // mask_ratio's range is checked once the options bind, i.e. when no key of the section is unknown:
        spec["objective"]!["options"]!.AsObject().Remove("nope");
        Assert.Contains(ByKey(RunSpecBinder.Bind(spec, Catalog))["objective.options.mask_ratio"], m => m.Contains("got 1.5"));
    }

    [Fact]
    public void UnknownPluginIdsListWhatIsAvailable()
    {
        var spec = Spec();
        spec["objective"]!["id"] = "dino";
        spec["tokenizer"]!["id"] = "Broken";
        spec["dataset"] = new JsonObject();
        spec["optimizer"]!["lr"] = 0; // problems in other sections still show

        var problems = ByKey(RunSpecBinder.Bind(spec, Catalog));

        Assert.Equal("unknown objective 'dino'. Available: fake-ssl", Assert.Single(problems["objective.id"]));
        Assert.Contains("failed to load: is not a .NET assembly", Assert.Single(problems["tokenizer.id"]));
        Assert.Contains("is required", Assert.Single(problems["dataset.id"]));
        Assert.Contains("optimizer.lr", problems.Keys);
    }

    [Fact]
    public void CrossFieldRulesAreKeyed()
    {
        var spec = Spec();
        spec["model"]!["heads"] = 5; // 32 is not divisible by 5
        spec["trainer"]!["labels_per_class"] = 10; // fake-ssl does not train on labels

        var problems = ByKey(RunSpecBinder.Bind(spec, Catalog));

        Assert.Contains(problems["model.heads"], m => m.Contains("not divisible"));
        Assert.Contains(problems["trainer.labels_per_class"], m => m.Contains("does not train on labels"));
    }

    [Fact]
    public void SectionsOfTheWrongShapeAreProblemsNotExceptions()
    {
        var spec = Spec();
        spec["model"] = 3;
        spec["objective"]!["options"] = "fast";

        var result = RunSpecBinder.Bind(spec, Catalog);

        Assert.False(result.IsValid);
        var problems = ByKey(result);
        Assert.Contains("model", problems.Keys);
        Assert.Contains(problems.Keys, k => k.StartsWith("objective", StringComparison.Ordinal));
        Assert.Null(result.Resolved);
    }
    [Theory]
    [InlineData("fp32")]
    [InlineData("bf16")]
    public void TrainerPrecisionTakesFp32OrBf16AndDefaultsToFp32(string precision)
    {
        Assert.Equal("fp32", RunSpecBinder.Bind(Spec(), Catalog).Resolved!["trainer"]!["precision"]!.GetValue<string>());
        var spec = Spec();
        spec["trainer"]!["precision"] = precision;
        var result = RunSpecBinder.Bind(spec, Catalog);
        Assert.True(result.IsValid, string.Join("; ", result.Problems));
        Assert.Equal(precision, result.Spec!.Trainer.Precision);
    }

    [Theory]
    [InlineData("fp16")]
    [InlineData("BF16")]
    [InlineData("")]
    public void AWrongPrecisionIsOneLineNamingTheAllowedValues(string precision)
    {
        var spec = Spec();
        spec["trainer"]!["precision"] = precision;
        var problem = Assert.Single(RunSpecBinder.Bind(spec, Catalog).Problems);
        Assert.Equal("trainer.precision", problem.Key);
        Assert.Contains("fp32, bf16", problem.Message);
        Assert.Contains($"got", problem.Message);
        Assert.DoesNotContain("\n", problem.Message);
    }
}
