using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Engine.Models;
using Scott.Lab.Tests.Shared;
using TorchSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Objectives.Tests;

/// <summary>A tiny run for objective unit tests: 16 px images, 4 px patches (4×4 tokens), width 32, one block.</summary>
internal static class TinyModels
{
    public const int ImageSize = 16, Channels = 3, Patch = 4, Width = 32, Tokens = 16;

    public static ObjectiveContext Context(int seed = 5, long totalSteps = 11, int classes = 0)
    {
        var model = new ModelOptions
        {
            ImageSize = ImageSize, Width = Width, Depth = 1, Heads = 2, Ffn = "swiglu", Dropout = 0, AttnDropout = 0, DropPath = 0,
        };
        manual_seed(seed);
        var factory = new ModelFactory(() => new TinyPatchTokenizer(ImageSize, Channels, Patch, Width, applyMask: true, bias: true), model);
        return new ObjectiveContext(factory, totalSteps, classes, seed, ImageSize, Channels);
    }

    /// <summary>Two views of the same random images (the second slightly perturbed).</summary>
    public static TrainingBatch TwoViews(int seed, int batchSize = 8)
    {
        var generator = new Generator((ulong)seed);
        var first = randn(new long[] { batchSize, Channels, ImageSize, ImageSize }, generator: generator);
        var second = first + 0.1 * randn(new long[] { batchSize, Channels, ImageSize, ImageSize }, generator: generator);
        return new TrainingBatch([first, second], null);
    }

    public static TrainingBatch OneView(int seed, int batchSize = 8) => new([TwoViews(seed, batchSize).Views[0]], null);

    public static Dictionary<string, Tensor> Parameters(nn.Module module, string prefix) =>
        module.named_parameters().Where(p => p.name.StartsWith(prefix + ".", StringComparison.Ordinal))
            .ToDictionary(p => p.name[(prefix.Length + 1)..], p => p.parameter.detach().clone());

    public static double MaxAbs(Tensor t) => t.abs().max().item<float>();
}
