using Scott.Lab.Abstractions.Data;

namespace Scott.Lab.Engine.Tests.Evaluation;

/// <summary>
/// A labelled dataset of 2×2 grayscale images whose pixels encode a globally unique id (so images of different
/// splits can be told apart) and whose labels cycle through the classes.
/// </summary>
public sealed class LabelledFakeDataset : IImageDataset
{
    public sealed class Source(int firstId, int count, int classes) : IImageSource
    {
        public int Count => count;
        public int LabelAt(int index) => index % classes;
        public int IdAt(int index) => firstId + index;
        public ImageSample Read(int index)
        {
            int id = firstId + index;
            return new ImageSample([(byte)id, (byte)(id >> 8), (byte)(id >> 16), 0], 2, 2, 1, LabelAt(index));
        }
    }

    public LabelledFakeDataset(int train, int test, int classes, int validation = 0)
    {
        ClassNames = Enumerable.Range(0, classes).Select(c => $"class{c}").ToList();
        var splits = new List<DatasetSplit> { new("train", SplitRole.Train, new Source(0, train, classes)) };
        if (validation > 0) splits.Add(new("val", SplitRole.Validation, new Source(train, validation, classes)));
        splits.Add(new("test", SplitRole.Test, new Source(train + validation, test, classes)));
        Splits = splits;
    }

    public string Description => "fake labelled dataset";
    public int Channels => 1;
    public IReadOnlyList<float> Mean => [0.5f];
    public IReadOnlyList<float> Std => [0.5f];
    public IReadOnlyList<string> ClassNames { get; }
    public IReadOnlyList<DatasetSplit> Splits { get; }
    public IReadOnlyList<DatasetSplit> PretrainingSplits => Splits;
    public (int Width, int Height)? FixedSize => (2, 2);
    public void Dispose() { }

    /// <summary>The id encoded in an image's pixels.</summary>
    public static int IdOf(ImageSample sample) => sample.Pixels[0] | sample.Pixels[1] << 8 | sample.Pixels[2] << 16;
}
