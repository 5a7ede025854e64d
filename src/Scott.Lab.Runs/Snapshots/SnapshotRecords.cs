using Scott.Lab.Runs.Comparison;

namespace Scott.Lab.Runs.Snapshots;

/// <summary>
/// A frozen comparison behind <c>/share/&lt;token&gt;</c>: the runs' records and evaluations as they were, the view
/// it was shared with, and where its metric series (<see cref="SnapshotSeries"/>) and map PNGs (LiteDB file storage)
/// are. Kept apart from the runs, so that editing or deleting a run later does not change it.
/// </summary>
public sealed class SnapshotRecord
{
    /// <summary>The token: 128 random bits, base64url (22 characters).</summary>
    public string Id { get; set; } = "";
    public string Title { get; set; } = "";
    public DateTime CreatedUtc { get; set; }
    /// <summary>The view state it was shared with (a <see cref="CompareView"/> query string).</summary>
    public string Query { get; set; } = "";
    public List<RunRecord> Runs { get; set; } = [];
    public List<EvaluationRecord> Evaluations { get; set; } = [];
    public List<SnapshotMap> Maps { get; set; } = [];
    /// <summary>The runs' accuracy curves (RUN/eval/curve.json) as they were, for the runs that had one.</summary>
    public List<SnapshotCurve> Curves { get; set; } = [];
    /// <summary>What was left out and why (maps unavailable, a map that failed to render).</summary>
    public List<string> Notes { get; set; } = [];
    public int SeriesCount { get; set; }
}

/// <summary>A frozen map PNG: which run, image and kind (original | pca | attention), and its file in LiteDB storage.</summary>
public sealed class SnapshotMap
{
    public string RunId { get; set; } = "";
    public string Image { get; set; } = "";
    public string Kind { get; set; } = "";
    public string FileId { get; set; } = "";
    public long Bytes { get; set; }
}

/// <summary>A run's accuracy-curve file, frozen as text (the engine reads it: this assembly does not know its shape).</summary>
public sealed class SnapshotCurve
{
    public string RunId { get; set; } = "";
    public string Json { get; set; } = "";
}

/// <summary>One downsampled metric of one run of a snapshot (one document each, so that none comes near 1 MB).</summary>
public sealed class SnapshotSeries
{
    public string Id { get; set; } = "";
    public string Token { get; set; } = "";
    public string RunId { get; set; } = "";
    public string Name { get; set; } = "";
    public long[] Steps { get; set; } = [];
    public double[] Values { get; set; } = [];
    public double[] Wall { get; set; } = [];
    public int RawCount { get; set; }
}

/// <summary>A map picture to freeze into a snapshot.</summary>
public sealed record FrozenMap(string RunId, string Image, string Kind, byte[] Png);

/// <summary>A snapshot could not be stored; the message says what is too large and what to do.</summary>
public sealed class SnapshotException(string message) : Exception(message);
