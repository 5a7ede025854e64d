using Scott.Lab.Abstractions.Data;

namespace Scott.Lab.Abstractions.Plugins;

/// <summary>A source of images with its splits and class names.</summary>
public interface IDatasetPlugin : IScottLabPlugin
{
    /// <summary>
    /// Opens the dataset. Must fail fast with <see cref="DatasetException"/> naming the path and the expected
    /// layout when the data is missing, so that nothing starts training on nothing.
    /// </summary>
    IImageDataset Open(object? options);
}
