using Scott.Lab.Abstractions.Data;

namespace Scott.Lab.Datasets.Imaging;

/// <summary>Checks that the folders and files a layout needs are there, with messages that name them and the layout.</summary>
public static class DatasetFolder
{
    /// <summary>The full path of <paramref name="root"/>, or a DatasetException when it is empty or missing.</summary>
    public static string RequireRoot(string? root, string datasetName, string expectedLayout)
    {
        if (string.IsNullOrWhiteSpace(root))
            throw new DatasetException($"dataset.options.root is not set: give the {datasetName} folder. {expectedLayout}");
        string full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
            throw new DatasetException($"{datasetName}: folder not found: {full}. {expectedLayout}");
        return full;
    }

    public static string RequireFolder(string path, string datasetName, string expectedLayout)
    {
        if (!Directory.Exists(path))
            throw new DatasetException($"{datasetName}: folder not found: {path}. {expectedLayout}");
        return path;
    }

    public static string RequireFile(string path, string datasetName, string expectedLayout)
    {
        if (!File.Exists(path))
            throw new DatasetException($"{datasetName}: file not found: {path}. {expectedLayout}");
        return path;
    }
}
