using System.Text.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Data;
using Scott.Lab.Plugins;

namespace Scott.Lab.Engine.Tests.Config;

public sealed class ObjectiveAugmentDefaultsTests
{
    public sealed class NoOptions;

    /// <summary>An objective with a recipe: geometry only (no colour) and its own crop range.</summary>
    private sealed class RecipeObjective(AugmentRecipe? recipe, string id = "recipe") : PluginBase<NoOptions>, IObjectivePlugin
    {
        public override string Id => id;
        public override string DisplayName => id;
        public override string Description => "";
        public AugmentRecipe? Augmentation => recipe;
        public ObjectiveModule Create(object? options, ObjectiveContext context) => throw new InvalidOperationException("not built here");
    }

    /// <summary>
    /// An objective built against the earlier contract (before the typed recipe), as the host sees it at run time: its recipe was an
    /// <c>AugmentDefaults</c> dictionary, which is now a public property of its class the contract no longer names.
    /// </summary>
    private sealed class LegacyObjective(IReadOnlyDictionary<string, object> recipe, string id = "legacy") : PluginBase<NoOptions>, IObjectivePlugin
    {
        public override string Id => id;
        public override string DisplayName => id;
        public override string Description => "";
        public IReadOnlyDictionary<string, object> AugmentDefaults => recipe;
        public ObjectiveModule Create(object? options, ObjectiveContext context) => throw new InvalidOperationException("not built here");
    }

    private static readonly AugmentRecipe GeometryOnly = new() { ColorP = 0.0, CropScale = new(0.67, 1.0) };

    private static IReadOnlyList<PluginEntry> Plugins(params IScottLabPlugin[] plugins) =>
        plugins.Select(p => new PluginEntry(PluginCatalog.KindOf(p), p.Id, p.Version, p.DisplayName, p.Description, $"/plugins/{p.Id}.dll", "", PluginStatus.Loaded, null, p)).ToList();

    private static JsonObject Tree(string objective, string? augment = null) => (JsonObject)JsonNode.Parse(
        $$"""{ "objective": { "id": "{{objective}}" }{{(augment is null ? "" : $", \"augment\": {augment}")}} }""")!;

    /// <summary>The augment section as the config binds it.</summary>
    private static AugmentOptions Augment(JsonObject tree) => ConfigLoader.Deserialize<AugmentOptions>(tree["augment"]!, "augment");

    [Fact]
    public void TheRecipeFillsOnlyTheKeysTheConfigLeavesOut()
    {
        var tree = Tree("recipe", """{ "crop_scale": [0.3, 1.0], "blur_p": 0.0 }""");
        ObjectiveAugmentDefaults.Fill(tree, Plugins(new RecipeObjective(GeometryOnly)));
        var augment = Augment(tree);

        Assert.Equal(0.0, augment.ColorP);               // the recipe
        Assert.Equal([0.3, 1.0], augment.CropScale);     // the config wins over the recipe
        Assert.Equal(0.0, augment.BlurP);                // the config, where the recipe says nothing
        Assert.Equal(0.8, augment.JitterP);              // neither: the host default
    }

    [Fact]
    public void WithoutAnAugmentSectionTheRecipeMakesOne()
    {
        var tree = Tree("recipe");
        ObjectiveAugmentDefaults.Fill(tree, Plugins(new RecipeObjective(GeometryOnly)));
        Assert.Equal([0.67, 1.0], Augment(tree).CropScale);
    }

    [Fact]
    public void AnUnknownObjectiveOrAnEmptyRecipeLeavesTheTreeAsItIs()
    {
        var unknown = Tree("nope");
        ObjectiveAugmentDefaults.Fill(unknown, Plugins(new RecipeObjective(GeometryOnly)));
        Assert.Null(unknown["augment"]); // binding to plugins reports the unknown id, not this

        var plain = Tree("plain");
        ObjectiveAugmentDefaults.Fill(plain, Plugins(new RecipeObjective(new AugmentRecipe(), "plain")));
        Assert.Null(plain["augment"]);

        var none = Tree("none");
        ObjectiveAugmentDefaults.Fill(none, Plugins(new RecipeObjective(null, "none")));
        Assert.Null(none["augment"]);
    }

    [Fact]
    public void TheRecipeHasOnePropertyPerAugmentKeyAndTheHostWritesEachOfThem()
    {
        // A key added to AugmentOptions without an AugmentRecipe property (or the other way round) fails here, and
        // so does a property the host forgets to write: every property set to a distinct value must come out.
        var recipeKeys = typeof(AugmentRecipe).GetProperties().Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name));
        Assert.Equal(ObjectiveAugmentDefaults.Keys.Order(StringComparer.Ordinal), recipeKeys.Order(StringComparer.Ordinal));

        var full = new AugmentRecipe();
        double next = 0.01;
        foreach (var property in typeof(AugmentRecipe).GetProperties())
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType);
            Assert.True(type == typeof(double) || type == typeof(AugmentRange), $"{property.Name}: a recipe property is a double? or an AugmentRange?");
            property.SetValue(full, type == typeof(double) ? next : new AugmentRange(next, next + 0.5));
            next += 0.01;
        }
        var entries = ObjectiveAugmentDefaults.Entries(full);
        Assert.Equal(ObjectiveAugmentDefaults.Keys.Order(StringComparer.Ordinal), entries.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(entries.Count, entries.Select(e => e.Value.ToJsonString()).Distinct().Count()); // each its own property

        // And every key binds: the names and shapes are the ones AugmentOptions reads (ranges as [min, max]).
        var tree = Tree("full");
        ObjectiveAugmentDefaults.Fill(tree, Plugins(new RecipeObjective(full, "full")));
        var bound = Augment(tree);
        foreach (var property in typeof(AugmentOptions).GetProperties().Where(p => p.CanWrite))
            Assert.NotEqual(JsonSerializer.Serialize(property.GetValue(new AugmentOptions())), JsonSerializer.Serialize(property.GetValue(bound)));
    }

    [Fact]
    public void TheRecipeIsWrittenInTheOrderOfTheAugmentKeys()
    {
        var entries = ObjectiveAugmentDefaults.Entries(new AugmentRecipe { BlurP = 0.5, ColorP = 1.0, CropScale = new(0.08, 1.0) });
        Assert.Equal(["crop_scale", "color_p", "blur_p"], entries.Select(e => e.Key));
        Assert.Equal("[0.08,1]", entries[0].Value.ToJsonString());
        Assert.Equal("1", entries[1].Value.ToJsonString());
    }

    [Fact]
    public void AnObjectiveBuiltAgainstTheOldContractKeepsItsDictionaryRecipe()
    {
        var legacy = new LegacyObjective(new Dictionary<string, object> { ["color_p"] = 0.0, ["crop_scale"] = new[] { 0.67, 1.0 } });
        Assert.Equal(GeometryOnly, ObjectiveAugmentDefaults.RecipeOf(legacy));

        var tree = Tree("legacy", """{ "blur_p": 0.0 }""");
        ObjectiveAugmentDefaults.Fill(tree, Plugins(legacy));
        var augment = Augment(tree);
        Assert.Equal(0.0, augment.ColorP);
        Assert.Equal([0.67, 1.0], augment.CropScale);
        Assert.Equal(0.0, augment.BlurP);
    }

    [Fact]
    public void AnOldRecipeWithAKeyTheHostDoesNotKnowIsThePluginsFaultAndSaysSo()
    {
        var broken = new LegacyObjective(new Dictionary<string, object> { ["colour_p"] = 1.0 });
        var e = Assert.Throws<PluginException>(() => ObjectiveAugmentDefaults.Fill(Tree("legacy"), Plugins(broken)));
        Assert.Contains("objective 'legacy' declares the augmentation default 'colour_p'", e.Message);
        Assert.Contains("color_p", e.Message); // the allowed keys

        var shape = new LegacyObjective(new Dictionary<string, object> { ["crop_scale"] = 0.5 });
        var wrong = Assert.Throws<PluginException>(() => ObjectiveAugmentDefaults.Fill(Tree("legacy"), Plugins(shape)));
        Assert.Contains("'crop_scale' = 0.5, which is not a [min, max] double[]", wrong.Message);
    }

    [Fact]
    public void ThePortalValidatorAppliesTheRecipeAndLeavesTheCallersSpecAlone()
    {
        var spec = (JsonObject)JsonNode.Parse("""
            {
              "dataset": { "id": "fake-data" }, "tokenizer": { "id": "fake-tok" }, "objective": { "id": "recipe" },
              "model": { "image_size": 28, "width": 32, "depth": 2, "heads": 2 }, "trainer": { "steps": 10, "batch_size": 8 },
              "augment": { "flip_p": 0.0 }
            }
            """)!;
        var plugins = RunSpecBinderTests.FakeDataAndTokenizer.Concat(Plugins(new RecipeObjective(GeometryOnly))).ToList();
        var result = RunSpecBinder.Bind(spec, plugins);

        Assert.True(result.IsValid, string.Join("; ", result.Problems));
        Assert.Equal(0.0, result.Resolved!["augment"]!["color_p"]!.GetValue<double>());
        Assert.Equal(0.0, result.Resolved["augment"]!["flip_p"]!.GetValue<double>());
        Assert.Equal(0.8, result.Resolved["augment"]!["jitter_p"]!.GetValue<double>());
        Assert.False(spec["augment"]!.AsObject().ContainsKey("color_p"));
    }
}
