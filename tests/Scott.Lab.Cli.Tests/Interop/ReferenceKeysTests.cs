using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Interop;
using Scott.Lab.Engine.Models;
using Scott.Lab.Plugins;
using static TorchSharp.torch;

namespace Scott.Lab.Cli.Tests.Interop;

/// <summary>
/// For every configuration of the reference's key list (reference-state-dict-keys.txt: the paper's PyTorch code's
/// state-dict keys, shapes and dtypes), this project's export has exactly those keys, in that order, with those shapes
/// and dtypes. The models are built at their real size (no training), through the plugins a run uses.
/// </summary>
public class ReferenceKeysTests
{
    private static readonly Lazy<PluginCatalog> Catalog = new(() => PluginCatalog.Load([PluginCatalog.BuiltInFolder]));

    public sealed record Section(string Header, List<(string Key, long[] Shape, string Dtype)> Entries);

    /// <summary>The sections of the reference list, in order: paper encoder, its predictor, small SCOTT with registers, plain ViT.</summary>
    public static List<Section> ReferenceSections()
    {
        var sections = new List<Section>();
        foreach (var line in File.ReadLines(Path.Combine(CliRunner.RepoRoot, "tests/Scott.Lab.Cli.Tests/Interop/reference-state-dict-keys.txt")))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal)) sections.Add(new Section(line[3..], []));
            else if (line.Length > 0 && !line.StartsWith('#'))
            {
                var parts = line.Split('\t');
                var shape = parts[1].Trim('[', ']').Split(',', StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
                sections[^1].Entries.Add((parts[0], shape, parts[2]));
            }
        }
        return sections;
    }

    /// <summary>A MIM-JEPA objective built as a run builds it (tokenizer plugin → model factory → objective plugin), without a dataset.</summary>
    public static (ObjectiveModule Objective, ReferenceModelArgs Args) Build(string tokenizer, JsonObject tokenizerOptions, ModelOptions model, int inChannels, int predictorDepth)
    {
        var catalog = Catalog.Value;
        var tokenizerPlugin = catalog.Resolve<ITokenizerPlugin>(tokenizer, "tokenizer.id");
        var objectivePlugin = catalog.Resolve<IObjectivePlugin>("mim-jepa", "objective.id");
        var tokOptions = RunSpecBinder.BindOptions(tokenizerPlugin.OptionsType, tokenizerOptions, "tokenizer.options");
        var objOptions = RunSpecBinder.BindOptions(objectivePlugin.OptionsType, new JsonObject { ["predictor_depth"] = predictorDepth }, "objective.options");
        var factory = new ModelFactory(() => tokenizerPlugin.Create(tokOptions, new TokenizerContext(model.ImageSize, inChannels, model.Width)), model);
        var objective = objectivePlugin.Create(objOptions, new ObjectiveContext(factory, 10, 10, 0, model.ImageSize, inChannels));
        var spec = new JsonObject
        {
            ["tokenizer"] = new JsonObject { ["id"] = tokenizer, ["options"] = tokenizerOptions.DeepClone() },
            ["objective"] = new JsonObject { ["id"] = "mim-jepa", ["options"] = new JsonObject { ["predictor_depth"] = predictorDepth } },
            ["model"] = new JsonObject
            {
                ["image_size"] = model.ImageSize, ["width"] = model.Width, ["depth"] = model.Depth, ["heads"] = model.Heads,
                ["ffn"] = model.Ffn, ["registers"] = model.Registers,
            },
        };
        return (objective, ReferenceModelArgs.FromSpec(spec, inChannels));
    }

    private static void AssertSame(Section expected, IReadOnlyList<KeyValuePair<string, Tensor>> exported)
    {
        var got = exported.Select(kv => (kv.Key, Shape: string.Join(", ", kv.Value.shape), Dtype: kv.Value.dtype == ScalarType.Float32 ? "float32" : kv.Value.dtype.ToString())).ToList();
        var want = expected.Entries.Select(e => (e.Key, Shape: string.Join(", ", e.Shape), e.Dtype)).ToList();
        Assert.True(want.SequenceEqual(got),
            $"{expected.Header}\nmissing: {string.Join(", ", want.Except(got))}\nunexpected: {string.Join(", ", got.Except(want))}");
    }

    [Fact]
    public void ThePapersEncoderAndPredictorExportExactlyTheReferenceKeys()
    {
        var sections = ReferenceSections();
        Assert.Equal(4, sections.Count);
        var model = new ModelOptions { ImageSize = 224, Width = 384, Depth = 12, Heads = 4, Ffn = "swiglu", Registers = 0 };
        var (objective, args) = Build("scott", [], model, 3, 3);
        using (objective)
        {
            Assert.Equal(("scott", 224, 16, 384, 12, 4, "swiglu", 0), (args.ModelName, args.ImgSize, args.PatchSize, args.EmbedDim, args.Depth, args.NumHeads, args.FfnLayer, args.NumRegisterTokens));
            var encoder = ModelInterop.Export(objective, ExportPart.Encoder, KeyNames.Reference, args);
            AssertSame(sections[0], encoder);
            // ~22.5M parameters in the paper's encoder (the tokenizer and the blocks; pos_embed is a buffer).
            long parameters = encoder.Where(kv => kv.Key != "transformer.pos_embed").Sum(kv => kv.Value.numel());
            Assert.InRange(parameters, 21_000_000, 23_000_000);
            AssertSame(sections[1], ModelInterop.Export(objective, ExportPart.Predictor, KeyNames.Reference, args));
            foreach (var (_, t) in encoder) t.Dispose();
        }
    }

    [Fact]
    public void TheSmallScottWithRegistersAndThePlainVitExportExactlyTheReferenceKeys()
    {
        var sections = ReferenceSections();
        var (scott, scottArgs) = Build("scott", [], new ModelOptions { ImageSize = 64, Width = 192, Depth = 2, Heads = 4, Ffn = "mlp", Registers = 4 }, 3, 1);
        using (scott)
        {
            var exported = ModelInterop.Export(scott, ExportPart.Encoder, KeyNames.Reference, scottArgs);
            AssertSame(sections[2], exported);
            // pos_embed: one zero row per register, then the fixed sin-cos table of the 4x4 grid.
            var pos = exported.Single(kv => kv.Key == "transformer.pos_embed").Value;
            Assert.Equal(0f, pos[..4].abs().max().item<float>());
            using var table = PositionEmbedding.SinCos2D(192, 4, 4);
            Assert.True(pos[4..].eq(table).all().item<bool>());
        }
        var (vit, vitArgs) = Build("patch", new JsonObject { ["patch_size"] = 16 }, new ModelOptions { ImageSize = 64, Width = 192, Depth = 2, Heads = 4, Ffn = "swiglu" }, 3, 1);
        using (vit)
        {
            Assert.Equal("vit", vitArgs.ModelName);
            AssertSame(sections[3], ModelInterop.Export(vit, ExportPart.Encoder, KeyNames.Reference, vitArgs));
        }
    }

    [Fact]
    public void ExportedValuesAreTheParametersAndTheFileKeepsKeysShapesAndDtypes()
    {
        var sections = ReferenceSections();
        var (scott, args) = Build("scott", [], new ModelOptions { ImageSize = 64, Width = 192, Depth = 2, Heads = 4, Ffn = "mlp", Registers = 4 }, 3, 1);
        using (scott)
        {
            var exported = ModelInterop.Export(scott, ExportPart.Encoder, KeyNames.Reference, args);
            var named = scott.Encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            Assert.True(exported.Single(kv => kv.Key == "tokenizer.tokenizer.3.weight").Value.eq(named["tokenizer.stages.1.conv.weight"]).all().item<bool>());
            Assert.True(exported.Single(kv => kv.Key == "transformer.blocks.1.ffn_layer.last_linear.weight").Value.eq(named["blocks.1.ffn.fc2.weight"]).all().item<bool>());
            string file = Path.Combine(CliRunner.TempDir(), "encoder.safetensors");
            WeightsFile.Save(file, exported, WeightsFormat.Safetensors);
            var read = WeightsFile.LoadSafetensors(file);
            AssertSame(sections[2], read);
            Assert.All(exported.Zip(read), pair => Assert.True(pair.First.Value.eq(pair.Second.Value).all().item<bool>(), pair.First.Key));
        }
    }

    [Fact]
    public void ConfigurationsTheReferenceCannotExpressAreOneLineErrors()
    {
        var spec = (string tok, JsonObject opts) => new JsonObject
        {
            ["tokenizer"] = new JsonObject { ["id"] = tok, ["options"] = opts },
            ["model"] = new JsonObject { ["image_size"] = 64, ["width"] = 32 },
        };
        var stages = Assert.Throws<NoReferenceLayoutException>(() => ReferenceModelArgs.FromSpec(spec("scott", new JsonObject { ["stages"] = 1, ["hidden_channels"] = 16 }), 1));
        Assert.Contains("stages 1, hidden_channels 16", stages.Message);
        Assert.Contains("2 stages of 7x7 convs with 64 hidden channels", stages.Message);
        Assert.DoesNotContain('\n', stages.Message);
        var other = Assert.Throws<NoReferenceLayoutException>(() => ReferenceModelArgs.FromSpec(spec("my-tokenizer", []), 3));
        Assert.Contains("no counterpart of tokenizer 'my-tokenizer'", other.Message);
    }
}
