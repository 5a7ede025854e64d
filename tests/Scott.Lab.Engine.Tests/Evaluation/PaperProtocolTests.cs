using Scott.Lab.Abstractions.Data;
using Scott.Lab.Engine.Data;
using Scott.Lab.Engine.Evaluation;
using Scott.Lab.Engine.Models;
using Scott.Lab.Tests.Shared;
using TorchSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Tests.Evaluation;

public class PaperProtocolTests
{
    private const int ImageSize = 16;

    /// <summary>Labelled 16×16 RGB images, each with its own pattern (a diagonal ramp shifted by its index), so any two crops differ.</summary>
    private sealed class Patterns(int train, int test, int classes) : IImageDataset
    {
        private sealed class Source(int first, int count, int classes) : IImageSource
        {
            public int Count => count;
            public int LabelAt(int index) => (first + index) % classes;
            public ImageSample Read(int index)
            {
                int id = first + index, label = LabelAt(index);
                var pixels = new byte[ImageSize * ImageSize * 3];
                for (int y = 0; y < ImageSize; y++)
                    for (int x = 0; x < ImageSize; x++)
                        for (int c = 0; c < 3; c++)
                            pixels[(y * ImageSize + x) * 3 + c] = (byte)((x * 13 + y * 7 * (c + 1) + id * 11 + label * 90) % 256);
                return new ImageSample(pixels, ImageSize, ImageSize, 3, label);
            }
        }

        public string Description => "patterns";
        public int Channels => 3;
        public IReadOnlyList<float> Mean => [0.5f, 0.5f, 0.5f];
        public IReadOnlyList<float> Std => [0.25f, 0.25f, 0.25f];
        public IReadOnlyList<string> ClassNames => Enumerable.Range(0, classes).Select(c => $"c{c}").ToList();
        public IReadOnlyList<DatasetSplit> Splits =>
            [new("train", SplitRole.Train, new Source(0, train, classes)), new("test", SplitRole.Test, new Source(train, test, classes))];
        public IReadOnlyList<DatasetSplit> PretrainingSplits => Splits;
        public (int Width, int Height)? FixedSize => (ImageSize, ImageSize);
        public void Dispose() { }
    }

    private static VisionTransformer Encoder()
    {
        manual_seed(1);
        var options = new ModelOptions { ImageSize = ImageSize, Width = 16, Depth = 1, Heads = 2, Dropout = 0, AttnDropout = 0, DropPath = 0 };
        return new VisionTransformer(new TinyPatchTokenizer(ImageSize, 3, 4, options.Width), options);
    }

    private static void Set(nn.Module module, string name, float[] values)
    {
        var parameter = module.named_parameters().Single(p => p.name == name).parameter;
        using var _ = no_grad();
        parameter.copy_(tensor(values).view(parameter.shape));
    }

    private static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    private static long Parameters(nn.Module module) => module.parameters().Sum(p => p.numel());

    [Fact]
    public void TheMultiHeadAttentiveProbeMatchesASmallCaseComputedByHand()
    {
        // D = 4, two heads of two channels, two tokens, two classes; projections set to the identity.
        using var head = new MultiHeadAttentiveHead(dim: 4, heads: 2, classes: 2, dropout: 0.2);
        float ln3 = MathF.Log(3);
        Set(head, "importance.weight", [ln3, 0, 0, 0, /* head 1 scores every token 0 */ 0, 0, 0, 0]);
        Set(head, "importance.bias", [0, 0]);
        Set(head, "projector.weight", [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
        Set(head, "projector.bias", [0, 0, 0, 0]);
        Set(head, "hidden.weight", [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
        Set(head, "hidden.bias", [0, 0, 0, 0]);
        Set(head, "fc.weight", [1, 0, 0, 0, /* class 1 reads channel 3 */ 0, 0, 0, 1]);
        Set(head, "fc.bias", [0, 0]);
        head.eval(); // dropout off

        // Token 1 = (1, -1, 1, -1): mean 0, variance 1, so LayerNorm keeps it. Token 2 = (2, 0, 0, -2): variance 2, LN gives (√2, 0, 0, -√2).
        using var tokens = tensor(new float[] { 1, -1, 1, -1, 2, 0, 0, -2 }).view(1, 2, 4);
        // Head 0 scores the tokens ln3 and 2·ln3: softmax weights 1/4 and 3/4. Head 1 scores both 0: 1/2 and 1/2.
        double r2 = Math.Sqrt(2);
        double[] pooled = [0.25 * 1 + 0.75 * r2, 0.25 * -1 + 0.75 * 0, 0.5 * 1 + 0.5 * 0, 0.5 * -1 + 0.5 * -r2];
        using var actualPooled = head.Pool(tokens);
        for (int i = 0; i < 4; i++) Assert.Equal(pooled[i], actualPooled[0, i].item<float>(), 3e-4);

        // Then SiLU → identity Linear → LayerNorm → SiLU → fc (channels 0 and 3).
        static double Silu(double v) => v / (1 + Math.Exp(-v));
        var a = pooled.Select(Silu).ToArray();
        double mean = a.Average(), variance = a.Select(v => (v - mean) * (v - mean)).Average();
        var c = a.Select(v => Silu((v - mean) / Math.Sqrt(variance + 1e-5))).ToArray();
        using var logits = head.forward(tokens);
        Assert.Equal(c[0], logits[0, 0].item<float>(), 3e-4);
        Assert.Equal(c[3], logits[0, 1].item<float>(), 3e-4);
    }

    [Theory]
    [InlineData(16, 2, 3), InlineData(32, 4, 10), InlineData(384, 4, 102)]
    public void EveryProbesParameterCountMatchesItsFormula(int dim, int heads, int classes)
    {
        using var simple = new AttentivePoolingHead(dim, classes, dropout: 0.2);
        using var multi = new MultiHeadAttentiveHead(dim, heads, classes, dropout: 0.2);
        using var cross = new PaperCrossAttentionHead(dim, heads, classes, dropout: 0.2);
        Assert.Equal(AttentivePoolingHead.ParameterCount(dim, classes), Parameters(simple));
        Assert.Equal(MultiHeadAttentiveHead.ParameterCount(dim, heads, classes), Parameters(multi));
        Assert.Equal(PaperCrossAttentionHead.ParameterCount(dim, classes), Parameters(cross));
        if (dim == 384)
        {
            // Worked out by hand for the paper's width and Flowers-102 (SwiGLU hidden 1024).
            Assert.Equal(384 + 1 + 384 * 102 + 102, Parameters(simple));                                            // 39,655
            Assert.Equal(384 * 4 + 4 + 2 * (384 * 384 + 384) + 4 * 384 + 384 * 102 + 102, Parameters(multi));       // 338,026
            Assert.Equal(384 + 4 * 384 * 384 + 6 * 384 + 3 * 384 * 1024 + 384 * 102 + 102, Parameters(cross));   // 1,811,430
        }
    }

    [Fact]
    public void TheCrossAttentionProbeEqualsAttentionComputedTokenByToken()
    {
        // The probe pools before projecting the values; projecting every token first must give the same output.
        manual_seed(3);
        using var head = new PaperCrossAttentionHead(8, 2, 3, dropout: 0.2);
        head.eval();
        using var tokens = randn(2, 5, 8);
        var p = head.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        using var _ = no_grad();
        var x = nn.functional.layer_norm(tokens, [8], p["keyValueNorm.weight"], p["keyValueNorm.bias"]);
        var q = matmul(p["query"], p["q.weight"].t()).view(1, 2, 1, 4);                      // (1, H, 1, dh)
        var kv = matmul(x, p["kv.weight"].t());                                              // (B, T, 2D)
        var k = kv.narrow(2, 0, 8).view(2, 5, 2, 4).transpose(1, 2);                         // (B, H, T, dh)
        var v = kv.narrow(2, 8, 8).view(2, 5, 2, 4).transpose(1, 2);
        var attention = (matmul(q, k.transpose(2, 3)) / 2.0).softmax(-1);                     // (B, H, 1, T)
        var attended = matmul(attention, v).transpose(1, 2).reshape(2, 8);
        var y = nn.functional.layer_norm(p["query"] + matmul(attended, p["proj.weight"].t()), [8], p["norm.weight"], p["norm.bias"]);
        var ab = matmul(y, p["ffn.w12.weight"].t()).chunk(2, -1);
        y = y + matmul(nn.functional.silu(ab[0]) * ab[1], p["ffn.w3.weight"].t());
        var expected = matmul(nn.functional.layer_norm(y, [8], p["outputNorm.weight"], p["outputNorm.bias"]), p["fc.weight"].t()) + p["fc.bias"];
        Assert.True(head.forward(tokens).allclose(expected, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void AugmentedTrainingDrawsNewCropsEachEpochAndTheSameCropsForTheSameSeed()
    {
        using var dataset = new Patterns(train: 8, test: 4, classes: 2);
        using var encoder = Encoder();
        var source = dataset.Splits[0].Images;
        AugmentedViews Views(int seed) => new(encoder, source, 3, new ViewAugmentation(ImageSize, dataset.Mean, dataset.Std,
            new AugmentOptions { CropScale = [0.2, 1.0] }), seed, CPU);
        int[] images = [0, 1, 2, 3];

        using var epoch1 = Views(5).Images(1, images);
        using var epoch2 = Views(5).Images(2, images);
        using var again = Views(5).Images(1, images);
        using var reordered = Views(5).Images(1, [3, 2, 1, 0]);
        using var otherSeed = Views(6).Images(1, images);
        Assert.Equal(new long[] { 4, 3, ImageSize, ImageSize }, epoch1.shape);
        for (int i = 0; i < images.Length; i++)
        {
            Assert.False(Same(epoch1[i], epoch2[i]), $"image {i}: epoch 2 repeated epoch 1's crop");
            Assert.True(Same(epoch1[i], again[i]), $"image {i}: the same seed gave another crop");
            Assert.True(Same(epoch1[i], reordered[3 - i]), $"image {i}: its crop depends on the batch order");
            Assert.False(Same(epoch1[i], otherSeed[i]), $"image {i}: another seed gave the same crop");
        }
    }

    [Fact]
    public void TheBoundedVariantCyclesItsKViews()
    {
        using var dataset = new Patterns(train: 8, test: 4, classes: 2);
        using var encoder = Encoder();
        var augmented = new AugmentedViews(encoder, dataset.Splits[0].Images, 3,
            new ViewAugmentation(ImageSize, dataset.Mean, dataset.Std, new AugmentOptions()), seed: 2, CPU);
        using var bounded = new BoundedViews(augmented, count: 8, views: 2, batchSize: 3, "test", null);
        int[] images = [6, 1, 4];
        using var first = bounded.Tokens(1, images);
        using var second = bounded.Tokens(2, images);
        using var third = bounded.Tokens(3, images);
        using var fresh = augmented.Tokens(1, images);
        Assert.Equal("bounded K=2", bounded.Variant);
        Assert.True(Same(first, third), "epoch 3 should reuse view 1");
        Assert.False(Same(first, second));
        Assert.True(first.allclose(fresh, rtol: 0, atol: 1e-2), "view 1 is epoch 1's augmented view (stored in float16)");
    }

    [Fact]
    public void ThePaperProtocolTrainsItsThreeHeadsAndSelectsOnValidation()
    {
        using var dataset = new Patterns(train: 16, test: 6, classes: 2);
        using var encoder = Encoder();
        var stages = new HashSet<string>();
        var runner = new EvalRunner(dataset, encoder, ImageSize, CPU, p => stages.Add(p.Stage));
        var request = new EvalRequest([EvalProtocol.Paper], Seed: 1)
        {
            Paper = new PaperProbeOptions { Epochs = 2, BatchSize = 4, WarmupEpochs = 1, Views = 2, Heads = 2 },
        };
        var result = Assert.Single(runner.Run(request, "ckpt"));
        Assert.Equal("paper", result.Protocol);
        Assert.Equal("bounded K=2", result.Variant);
        Assert.Equal("paper", result.FileStem);
        Assert.Equal(["simple-attentive", "multi-head-attentive heads=2", "cross-attention heads=2"], result.Candidates!.Select(c => c.Name));
        Assert.All(result.Candidates!, c => Assert.InRange(c.BestEpoch, 1, 2));
        Assert.StartsWith(result.Candidates!.MaxBy(c => c.ValidationTop1)!.Name, result.Selected);
        Assert.Equal(result.Candidates!.Max(c => c.ValidationTop1), result.Validation.Top1);
        Assert.Equal(6, result.Test.Count);
        Assert.Contains("stratified", result.ValidationOrigin); // carved from training images, never the test split
        Assert.Contains("paper probes (bounded K=2)", stages);
        Assert.Contains("paper: 2 augmented views", stages);
    }

    [Fact]
    public void ThePapersEvalResizeCropsTheCentreOfTheLargerResize()
    {
        // A 32² image, black inside a 2-pixel white frame. Resized to 32 (= 28·8/7) and centre-cropped to 28, the frame is gone;
        // the fast protocols' resize to 28 keeps a shrunk frame.
        var pixels = new byte[32 * 32];
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
                if (x < 2 || y < 2 || x >= 30 || y >= 30) pixels[y * 32 + x] = 255;
        var source = new SubsetSource(new OneImage(new ImageSample(pixels, 32, 32, 1, 0)), [0]);
        using var paper = new EvalPreprocessor(28, [0f], [1f], resizeTo: 32).Batch(source, 0, 1, 1);
        using var fast = new EvalPreprocessor(28, [0f], [1f]).Batch(source, 0, 1, 1);
        Assert.Equal(new long[] { 1, 1, 28, 28 }, paper.shape);
        Assert.Equal(0f, paper.max().item<float>(), 1e-6);
        Assert.True(fast.max().item<float>() > 0.5f);
    }

    private sealed class OneImage(ImageSample sample) : IImageSource
    {
        public int Count => 1;
        public int LabelAt(int index) => 0;
        public ImageSample Read(int index) => sample;
    }

    [Fact]
    public void BadSettingsAreRefusedNamingTheFlag()
    {
        var problems = new PaperProbeOptions { Epochs = 0, Views = -1, ProbeHeads = ["simple", "mlp"], CropScale = [0.5, 0.2] }.Problems().ToList();
        Assert.Contains(problems, p => p.StartsWith("--probe-epochs"));
        Assert.Contains(problems, p => p.StartsWith("--probe-views"));
        Assert.Contains(problems, p => p.StartsWith("--probe-heads:") && p.Contains("mlp"));
        Assert.Contains(problems, p => p.StartsWith("--probe-crop-scale"));
        Assert.Empty(new PaperProbeOptions().Problems());
    }
}
