using Scott.Lab.Tests.Shared;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Engine.Models;
using Scott.Lab.Objectives.Supervised;
using TorchSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Objectives.Tests;

public class SupervisedObjectiveTests
{
    private const int ImageSize = 16, Channels = 3, Width = 32;

    private static SupervisedObjective Create(int classes)
    {
        manual_seed(3);
        var model = new ModelOptions { ImageSize = ImageSize, Width = Width, Depth = 1, Heads = 2, Dropout = 0, AttnDropout = 0, DropPath = 0 };
        var factory = new ModelFactory(() => new TinyPatchTokenizer(ImageSize, Channels, 4, Width, applyMask: false, bias: true), model);
        return new SupervisedObjective(new SupervisedOptions { LabelSmoothing = 0 }, new ObjectiveContext(factory, 100, classes, 3));
    }

    [Fact]
    public void ItFitsLabelsEndToEndAndReportsPooledFeatures()
    {
        using var objective = Create(classes: 3);
        var images = randn(12, Channels, ImageSize, ImageSize);
        var labels = arange(3).repeat(4);
        using var optimizer = optim.AdamW(objective.parameters(), lr: 3e-3);
        double first = 0, last = 0;
        for (int step = 0; step < 40; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var output = objective.Forward(new TrainingBatch([images], labels), new StepInfo(step, 40));
            output.Loss.backward();
            optimizer.step();
            if (step == 0) first = output.Loss.item<float>();
            last = output.Loss.item<float>();
            Assert.Equal(new long[] { 12, Width }, output.Features!.shape);
            Assert.False(output.Features.requires_grad);
        }
        Assert.True(last < 0.2 * first, $"loss {first} -> {last}");
        Assert.Equal(new ViewRequest(1, SharedGeometry: false), objective.Views);
    }

    [Fact]
    public void UnlabelledImagesAndUnlabelledDatasetsAreRefused()
    {
        using var objective = Create(classes: 3);
        var batch = new TrainingBatch([randn(2, Channels, ImageSize, ImageSize)], tensor(new long[] { 0, -1 }));
        Assert.Throws<InvalidOperationException>(() => objective.Forward(batch, new StepInfo(0, 1)));
        Assert.Contains("at least 2 classes", Assert.Throws<ArgumentException>(() => Create(classes: 0)).Message);
        Assert.True(((IObjectivePlugin)new SupervisedPlugin()).TrainsOnLabels);
    }
}
