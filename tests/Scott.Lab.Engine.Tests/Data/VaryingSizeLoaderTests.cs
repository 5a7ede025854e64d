using Scott.Lab.Abstractions.Data;
using Scott.Lab.Engine.Data;

namespace Scott.Lab.Engine.Tests.Data;

public class VaryingSizeLoaderTests
{
    /// <summary>RGB images of different sizes: image i is (20 + 7i) × (12 + 5i), left half black, right half white.</summary>
    private sealed class Photos(int count) : IImageDataset, IImageSource
    {
        public int Count => count;
        public int LabelAt(int index) => index % 3;
        public ImageSample Read(int index)
        {
            int w = 20 + 7 * index, h = 12 + 5 * index;
            var pixels = new byte[w * h * 3];
            for (int y = 0; y < h; y++)
                for (int x = w / 2; x < w; x++)
                    for (int c = 0; c < 3; c++) pixels[(y * w + x) * 3 + c] = 255;
            return new ImageSample(pixels, w, h, 3, LabelAt(index));
        }
        public string Description => "photos";
        public int Channels => 3;
        public IReadOnlyList<float> Mean => [0.5f, 0.5f, 0.5f];
        public IReadOnlyList<float> Std => [0.5f, 0.5f, 0.5f];
        public IReadOnlyList<string> ClassNames => ["a", "b", "c"];
        public IReadOnlyList<DatasetSplit> Splits => PretrainingSplits;
        public IReadOnlyList<DatasetSplit> PretrainingSplits => [new DatasetSplit("train", SplitRole.Train, this)];
        public (int Width, int Height)? FixedSize => null;
        public void Dispose() { }
    }

    [Fact]
    public void ImagesOfDifferentSizesBatchAtTheLoadSize()
    {
        using var loader = new PretrainingLoader(new Photos(12), batchSize: 4, seed: 1, loadSize: 16, workers: 2);
        Assert.Equal((16, 16), loader.ImageSize);
        for (long step = 0; step < 3; step++)
        {
            var (images, labels) = loader.Batch(step);
            using (images) using (labels)
            {
                Assert.Equal(new long[] { 4, 3, 16, 16 }, images.shape);
                // Every image is half black, half white, split down the middle: the centre crop keeps both halves.
                var left = images[.., .., .., ..7].max().item<float>();
                var right = images[.., .., .., 9..].min().item<float>();
                Assert.True(left < 0.05f, $"left half should stay black, max {left}");
                Assert.True(right > 0.95f, $"right half should stay white, min {right}");
            }
        }
    }

    [Fact]
    public void AVaryingSizeDatasetWithoutALoadSizeIsRefusedWithTheReason()
    {
        var e = Assert.Throws<DatasetException>(() => new PretrainingLoader(new Photos(8), batchSize: 4, seed: 1));
        Assert.Contains("varying size", e.Message);
    }

    [Fact]
    public void PrefetchingDoesNotChangeWhatABatchHolds()
    {
        // One loader reads ahead step by step; the other reads each step cold, out of order.
        using var sequential = new PretrainingLoader(new Photos(12), batchSize: 4, seed: 5, loadSize: 8);
        using var cold = new PretrainingLoader(new Photos(12), batchSize: 4, seed: 5, loadSize: 8);
        var expected = new[] { 4L, 0, 2, 1, 3 }.ToDictionary(s => s, s => cold.ReadBatch(s).Labels);
        for (long step = 0; step < 5; step++)
        {
            var (images, labels) = sequential.Batch(step);
            using (images) using (labels) Assert.Equal(expected[step], labels.data<long>().ToArray());
        }
    }

    [Fact]
    public void AnUnreadableImageSurfacesAsTheDatasetsOwnError()
    {
        var broken = new BrokenSource();
        var dataset = new Wrapper(broken);
        using var loader = new PretrainingLoader(dataset, batchSize: 2, seed: 0, loadSize: 8);
        var e = Assert.Throws<DatasetException>(() => loader.Batch(0));
        Assert.Contains("broken.jpg", e.Message);
    }

    private sealed class BrokenSource : IImageSource
    {
        public int Count => 4;
        public int LabelAt(int index) => 0;
        public ImageSample Read(int index) => throw new DatasetException("cannot decode /data/broken.jpg");
    }

    private sealed class Wrapper(IImageSource source) : IImageDataset
    {
        public string Description => "broken";
        public int Channels => 3;
        public IReadOnlyList<float> Mean => [0f, 0f, 0f];
        public IReadOnlyList<float> Std => [1f, 1f, 1f];
        public IReadOnlyList<string> ClassNames => ["x"];
        public IReadOnlyList<DatasetSplit> Splits => PretrainingSplits;
        public IReadOnlyList<DatasetSplit> PretrainingSplits => [new DatasetSplit("train", SplitRole.Train, source)];
        public (int Width, int Height)? FixedSize => null;
        public void Dispose() { }
    }
}
