using Scott.Lab.Engine.Data;
using Scott.Lab.Engine.Training;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Tests.Evaluation;

public class OnlineProbeTests
{
    [Fact]
    public void ItLearnsFromTheLabelledPartOfEachBatchOnly()
    {
        manual_seed(0);
        using var probe = new OnlineProbe(dim: 8, classes: 4, CPU, learningRate: 1e-2);
        var centres = randn(4, 8) * 3;
        for (int step = 0; step < 300; step++)
        {
            var labels = randint(4, 64);
            var features = centres.index_select(0, labels) + 0.3f * randn(64, 8);
            labels[..16] = tensor(-1L); // unlabelled images (e.g. pre-trained-on test images)
            probe.Update(features, labels);
            if (step == 250) probe.ReadAndReset();
        }
        var metrics = probe.ReadAndReset();
        Assert.True(metrics["online_probe/acc"] > 0.95, $"accuracy {metrics["online_probe/acc"]}");
        Assert.True(metrics["online_probe/loss"] < 0.5);

        probe.Update(randn(8, 8), full(8, -1L)); // nothing labelled: nothing to learn, nothing to report
        Assert.Empty(probe.ReadAndReset());
    }

    [Fact]
    public void ThePretrainingLoaderWithholdsLabelsOfNonTrainingSplits()
    {
        using var dataset = new LabelledFakeDataset(train: 40, test: 24, classes: 4);
        var loader = new PretrainingLoader(dataset, batchSize: 64, seed: 0); // one batch = every image
        var (images, labels, _) = loader.Batch(0);
        var ids = images.flatten(1)[.., 0].mul(255).round().to(ScalarType.Int64).data<long>().ToArray(); // low byte of the id
        var values = labels.data<long>().ToArray();
        for (int i = 0; i < ids.Length; i++)
        {
            if (ids[i] < 40) Assert.Equal(ids[i] % 4, values[i]);
            else Assert.Equal(-1, values[i]);
        }
        Assert.Equal(24, values.Count(v => v == -1));
    }
}
