using Scott.Lab.Abstractions.Data;
using Scott.Lab.Datasets.FashionMnist;
using Scott.Lab.Datasets.Idx;

namespace Scott.Lab.Datasets.Tests;

/// <summary>
/// A fact that needs the real Fashion-MNIST in /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist).
/// Where it is missing the test is skipped, except when CI=true: there it runs, and fails, because CI installs it.
/// </summary>
public sealed class RealFashionMnistFactAttribute : FactAttribute
{
    public const string Root = FashionMnistOptions.DefaultRoot;

    public RealFashionMnistFactAttribute()
    {
        if (!Available && !IsCi)
            Skip = $"Fashion-MNIST is not installed in {Root} (apt-get install dataset-fashion-mnist); with CI=true this test fails instead.";
    }

    public static bool Available => FashionMnistLayout.FileStems.All(stem => FolderIdxFileStore.Find(Root, stem) is not null);

    /// <summary>The real file for <paramref name="stem"/> (.gz or plain), or a DatasetException saying it is missing.</summary>
    public static string RealFile(string stem) =>
        FolderIdxFileStore.Find(Root, stem)
        ?? throw new DatasetException($"Real Fashion-MNIST file not found: {Path.Combine(Root, stem)}.gz (apt-get install dataset-fashion-mnist).");

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
