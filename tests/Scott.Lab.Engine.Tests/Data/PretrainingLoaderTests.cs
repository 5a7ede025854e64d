using Scott.Lab.Abstractions.Data;
using Scott.Lab.Engine.Data;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Tests.Data;

public class PretrainingLoaderTests
{
    /// <summary>4×4 grayscale images whose every pixel and label is the image's global index.</summary>
    private sealed class IndexSource(int first, int count) : IImageSource
    {
        public int Count => count;
        public int LabelAt(int index) => first + index;
        public ImageSample Read(int index) => new(Enumerable.Repeat((byte)(first + index), 16).ToArray(), 4, 4, 1, first + index);
    }

    private sealed class FakeDataset(params int[] splitSizes) : IImageDataset
    {
        public string Description => "fake";
        public int Channels => 1;
        public IReadOnlyList<float> Mean => [0.5f];
        public IReadOnlyList<float> Std => [0.5f];
        public IReadOnlyList<string> ClassNames => [];
        public IReadOnlyList<DatasetSplit> Splits => PretrainingSplits;
        public IReadOnlyList<DatasetSplit> PretrainingSplits { get; } = Build(splitSizes);
        public (int Width, int Height)? FixedSize => (4, 4);
        public void Dispose() { }

        private static List<DatasetSplit> Build(int[] sizes)
        {
            var splits = new List<DatasetSplit>();
            int first = 0;
            foreach (var size in sizes)
            {
                splits.Add(new DatasetSplit($"split{splits.Count}", SplitRole.Train, new IndexSource(first, size)));
                first += size;
            }
            return splits;
        }
    }

    private static int[] Indices(PretrainingLoader loader, long step)
    {
        var (images, labels, _) = loader.Batch(step);
        using (images) using (labels)
        {
            var ids = labels.data<long>().Select(l => (int)l).ToArray();
            // Pixels carry the same index: every pixel of image b is ids[b]/255.
            Assert.Equal(new long[] { ids.Length, 1, 4, 4 }, images.shape);
            Assert.Equal(ScalarType.Float32, images.dtype);
            var expected = tensor(ids.Select(i => i / 255f).ToArray()).view(-1, 1, 1, 1).expand_as(images);
            Assert.True((images - expected).abs().max().item<float>() < 1e-6);
            return ids;
        }
    }

    [Fact]
    public void Batches_are_deterministic_for_a_seed_and_depend_on_it()
    {
        var a = new PretrainingLoader(new FakeDataset(60, 40), batchSize: 8, seed: 47);
        var b = new PretrainingLoader(new FakeDataset(60, 40), batchSize: 8, seed: 47);
        var c = new PretrainingLoader(new FakeDataset(60, 40), batchSize: 8, seed: 48);
        // Out of order on purpose: a batch depends on (seed, step) only.
        foreach (long step in new long[] { 0, 5, 30, 11, 0, 12 })
            Assert.Equal(Indices(a, step), Indices(b, step));
        Assert.NotEqual(Indices(a, 0), Indices(c, 0));
    }

    [Theory]
    [InlineData(10, 10)] // 100 images, batch 10: every image once
    [InlineData(8, 12)]  // batch 8: 12 full batches, 4 images dropped
    public void Each_epoch_visits_every_image_at_most_once_and_drops_the_incomplete_batch(int batch, int stepsPerEpoch)
    {
        var loader = new PretrainingLoader(new FakeDataset(60, 40), batch, seed: 3);
        Assert.Equal(100, loader.Count);
        Assert.Equal(stepsPerEpoch, loader.StepsPerEpoch);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var seen = Enumerable.Range(0, stepsPerEpoch).SelectMany(s => Indices(loader, epoch * stepsPerEpoch + s)).ToList();
            Assert.Equal(stepsPerEpoch * batch, seen.Count);
            Assert.Equal(seen.Count, seen.Distinct().Count());
            Assert.All(seen, i => Assert.InRange(i, 0, 99));
            if (batch == 10) Assert.Equal(Enumerable.Range(0, 100), seen.Order());
        }
    }

    [Fact]
    public void Different_epochs_have_different_orders()
    {
        var loader = new PretrainingLoader(new FakeDataset(100), batchSize: 10, seed: 1);
        var epoch0 = Enumerable.Range(0, 10).SelectMany(s => Indices(loader, s)).ToArray();
        var epoch1 = Enumerable.Range(10, 10).SelectMany(s => Indices(loader, s)).ToArray();
        var epoch2 = Enumerable.Range(20, 10).SelectMany(s => Indices(loader, s)).ToArray();
        Assert.NotEqual(epoch0, epoch1);
        Assert.NotEqual(epoch1, epoch2);
        // Shuffled, not the identity order.
        Assert.NotEqual(Enumerable.Range(0, 100).ToArray(), epoch0);
        // Going back to an earlier epoch reproduces it.
        Assert.Equal(epoch0, Enumerable.Range(0, 10).SelectMany(s => Indices(loader, s)).ToArray());
    }

    [Fact]
    public void Fewer_images_than_the_batch_size_is_a_dataset_error_naming_batch_size()
    {
        var e = Assert.Throws<DatasetException>(() => new PretrainingLoader(new FakeDataset(5, 2), batchSize: 8, seed: 0));
        Assert.Contains("batch_size", e.Message);
        Assert.Contains("7", e.Message);
        Assert.Throws<DatasetException>(() => new PretrainingLoader(new FakeDataset(), batchSize: 1, seed: 0));
    }
}
