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
    private sealed class RecipeObjective(IReadOnlyDictionary<string, object> recipe, string id = "recipe") : PluginBase<NoOptions>, IObjectivePlugin
    {
        public override string Id => id;
        public override string DisplayName => id;
        public override string Description => "";
        public override PluginKind Kind => PluginKind.Objective;
        public IReadOnlyDictionary<string, object> AugmentDefaults => recipe;
        public ObjectiveModule Create(object? options, ObjectiveContext context) => throw new InvalidOperationException("not built here");
    }

    private static readonly IReadOnlyDictionary<string, object> GeometryOnly = new Dictionary<string, object> { ["color_p"] = 0.0, ["crop_scale"] = new[] { 0.67, 1.0 } };

    private static IReadOnlyList<PluginEntry> Plugins(params IScottLabPlugin[] plugins) =>
        plugins.Select(p => new PluginEntry(p.Kind, p.Id, p.Version, p.DisplayName, p.Description, $"/plugins/{p.Id}.dll", "", PluginStatus.Loaded, null, p)).ToList();

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
        ObjectiveAugmentDefaults.Fill(plain, Plugins(new RecipeObjective(new Dictionary<string, object>(), "plain")));
        Assert.Null(plain["augment"]);
    }

    [Fact]
    public void ARecipeWithAKeyTheHostDoesNotKnowIsThePluginsFaultAndSaysSo()
    {
        var broken = new RecipeObjective(new Dictionary<string, object> { ["colour_p"] = 1.0 });
        var e = Assert.Throws<PluginException>(() => ObjectiveAugmentDefaults.Fill(Tree("recipe"), Plugins(broken)));
        Assert.Contains("objective 'recipe' declares the augmentation default 'colour_p'", e.Message);
        Assert.Contains("color_p", e.Message); // the allowed keys
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
