using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Datasets.Idx;

namespace Scott.Lab.Datasets.FashionMnist;

/// <summary>
/// A small real sample of Fashion-MNIST that ships inside this plugin, so that a first run works offline.
/// </summary>
/// <remarks>
/// The four files in <c>plugins/Scott.Lab.Datasets/Sample/</c> were made once, by a throwaway Python script, from
/// Debian's <c>dataset-fashion-mnist</c> (the original Zalando release, MIT licence): it decompressed
/// <c>/usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz</c>, kept the first 100
/// images of each class from train (1,000) and the first 20 of each class from t10k (200), in their original file
/// order, and wrote them in the same IDX format (16-byte idx3 header / 8-byte idx1 header, big-endian), gzipped with
/// <c>gzip.compress(data, compresslevel=9, mtime=0)</c>. They are embedded as
/// <c>Scott.Lab.Datasets.Sample.&lt;file name&gt;</c> (520,440 bytes in all) and read with the same IDX reader.
/// To regenerate: for each split, walk the labels in order, keep index i while its class has fewer than
/// 100 (train) / 20 (t10k) kept, and write the kept images and labels. The tests check the sample against the real files.
/// </remarks>
public sealed class FashionMnistSamplePlugin : PluginBase<FashionMnistSampleOptions>, IDatasetPlugin
{
    /// <summary>Prefix of the embedded files' manifest resource names.</summary>
    public const string ResourcePrefix = "Scott.Lab.Datasets.Sample.";

    public override string Id => "fashion-mnist-sample";
    public override string DisplayName => "Fashion-MNIST sample (offline)";
    public override string Description =>
        "A real 1,200-image sample of Fashion-MNIST that ships with the plugin: the first 100 images of each class from "
        + "train (1,000) and the first 20 of each class from test (200). For a first run and smoke tests; use fashion-mnist for results.";

    public IImageDataset Open(object? options)
    {
        var typed = Typed(options);
        return FashionMnistLayout.Load(
            "Fashion-MNIST sample (embedded): 100 per class from train, 20 per class from test",
            typed.PretrainOn,
            new ResourceIdxFileStore(typeof(FashionMnistSamplePlugin).Assembly, ResourcePrefix));
    }
}
