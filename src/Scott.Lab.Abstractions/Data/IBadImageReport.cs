namespace Scott.Lab.Abstractions.Data;

/// <summary>An image file that could not be used, and why (e.g. "truncated", "empty file (0 bytes)").</summary>
public sealed record BadImage(string Path, string Reason);

/// <summary>
/// Implemented by datasets read from image files: how many files were left out because they could not be read when
/// the dataset was opened, and the first few of them. It lives in the contract because the host (CLI, portal) reads
/// it across the plugin boundary, where only shared types can be seen.
/// </summary>
public interface IBadImageReport
{
    /// <summary>Number of image files left out; 0 when every file was readable.</summary>
    int BadImageCount { get; }

    /// <summary>The first few files left out (at most about ten), in the order they were found.</summary>
    IReadOnlyList<BadImage> FirstBadImages { get; }
}
