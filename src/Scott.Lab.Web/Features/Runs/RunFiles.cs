namespace Scott.Lab.Web.Features.Runs;

/// <summary>What the run page reads from a run's folder: the tail of worker.log and the checkpoint folders.</summary>
public static class RunFiles
{
    public const string LogFileName = "worker.log";

    /// <summary>The last <paramref name="lines"/> lines of the run's worker.log (read while the worker writes it), or null when there is none.</summary>
    public static IReadOnlyList<string>? LogTail(string runDirectory, int lines = 100, int maxBytes = 256 * 1024)
    {
        string path = Path.Combine(runDirectory, LogFileName);
        if (string.IsNullOrEmpty(runDirectory) || !File.Exists(path)) return null;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long start = Math.Max(0, stream.Length - maxBytes);
            stream.Seek(start, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Replace("\r\n", "\n").Split('\n');
            // A tail that starts mid-file starts mid-line: drop the partial first line.
            var complete = start > 0 ? all.Skip(1) : all;
            var list = complete.ToList();
            if (list.Count > 0 && list[^1].Length == 0) list.RemoveAt(list.Count - 1);
            return list.TakeLast(lines).ToList();
        }
        catch (IOException e)
        {
            return [$"(cannot read {path}: {e.Message})"];
        }
    }

    /// <summary>Checkpoint folders under <c>&lt;run dir&gt;/checkpoints</c>, oldest first, with their size on disk.</summary>
    public static IReadOnlyList<(string Name, string Path, long Bytes, DateTime ModifiedUtc)> CheckpointFolders(string runDirectory)
    {
        string folder = Path.Combine(runDirectory, "checkpoints");
        if (string.IsNullOrEmpty(runDirectory) || !Directory.Exists(folder)) return [];
        return Directory.EnumerateDirectories(folder)
            .Select(dir => new DirectoryInfo(dir))
            .OrderBy(dir => dir.Name, StringComparer.Ordinal)
            .Select(dir => (dir.Name, dir.FullName, SizeOf(dir), dir.LastWriteTimeUtc))
            .ToList();
    }

    private static long SizeOf(DirectoryInfo dir)
    {
        try { return dir.EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length); }
        catch (IOException) { return 0; }
    }

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.#} MB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.##} GB",
    };
}
