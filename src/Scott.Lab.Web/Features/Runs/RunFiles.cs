using System.Globalization;
using System.IO.Compression;
using System.Text;
using Scott.Lab.Runs;

namespace Scott.Lab.Web.Features.Runs;

/// <summary>A page of a log: whole lines from byte <see cref="Start"/> to <see cref="End"/> of a file of <see cref="Length"/> bytes.</summary>
public sealed record LogPage(IReadOnlyList<string> Lines, long Start, long End, long Length)
{
    public bool AtStart => Start == 0;
    public bool AtEnd => End >= Length;
}

/// <summary>One line of a log that matches a search: its number (from 1), where it starts, and its text.</summary>
public sealed record LogMatch(long Line, long Offset, string Text);

/// <summary>The matches of a search, the first <c>limit</c> of them; <see cref="More"/> when the log has others after.</summary>
public sealed record LogSearch(string Query, IReadOnlyList<LogMatch> Matches, bool More, long Length);

/// <summary>
/// What the run page and the run API read from a run's folder: its logs (paged and searched here, on the server: a
/// log of a long run is far too big to send to a browser), checkpoint folders, and single files for download, never
/// outside the run folder.
/// </summary>
public static class RunFiles
{
    public const string LogFileName = "worker.log";
    public const string EvalLogFileName = "eval.log";
    /// <summary>The most lines one page of a log holds (and the longest line kept whole).</summary>
    public const int MaxPageLines = 2000;
    private const int MaxLineChars = 4000;

    /// <summary>The run's logs, by file name: worker.log, eval.log and a Slurm job's slurm-JOB.log, those that exist.</summary>
    public static IReadOnlyList<string> LogFiles(string runDirectory)
    {
        if (string.IsNullOrEmpty(runDirectory) || !Directory.Exists(runDirectory)) return [];
        var names = new List<string>();
        foreach (var name in new[] { LogFileName, EvalLogFileName })
            if (File.Exists(Path.Combine(runDirectory, name))) names.Add(name);
        names.AddRange(Directory.EnumerateFiles(runDirectory, "slurm-*.log").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal));
        return names;
    }

    /// <summary>The path of a log of the run by its name, or null when the name is not one of <see cref="LogFiles"/>.</summary>
    public static string? LogPath(string runDirectory, string name) =>
        LogFiles(runDirectory).Contains(name, StringComparer.Ordinal) ? Path.Combine(runDirectory, name) : null;

    /// <summary>
    /// Up to <paramref name="lines"/> whole lines of a log. <paramref name="from"/>: the page starts at the line that
    /// starts at or after this byte; null: the page ends at the end of the file (the tail, what a live view shows).
    /// <paramref name="before"/>: the page ends just before this byte (the page above one already shown).
    /// Reads only the bytes of the page (at most <paramref name="lines"/> × a long line), whatever the file's size.
    /// </summary>
    public static LogPage ReadLog(string path, long? from = null, long? before = null, int lines = 500)
    {
        lines = Math.Clamp(lines, 1, MaxPageLines);
        using var stream = OpenShared(path);
        long length = stream.Length;
        long window = (long)lines * 400 + 4096; // bytes read per try; doubled while too few lines came back
        if (from is null)
        {
            long end = Math.Clamp(before ?? length, 0, length);
            while (true)
            {
                long start = Math.Max(0, end - window);
                var (text, _) = Read(stream, start, end);
                var parts = SplitLines(text);
                // A window that does not start at 0 starts mid-line: its first piece is not a whole line.
                if (start > 0) parts.RemoveAt(0);
                if (parts.Count >= lines || start == 0)
                {
                    var taken = parts.Skip(Math.Max(0, parts.Count - lines)).ToList();
                    long first = end - taken.Sum(l => (long)Encoding.UTF8.GetByteCount(l.Raw));
                    return new LogPage(taken.Select(l => Clip(l.Text)).ToList(), first, end, length);
                }
                window *= 2;
            }
        }
        else
        {
            long start = Math.Clamp(from.Value, 0, length);
            // Align to the start of a line: skip the rest of the line that `from` falls in.
            if (start > 0)
            {
                stream.Seek(start - 1, SeekOrigin.Begin);
                int b;
                while ((b = stream.ReadByte()) >= 0 && b != '\n') start++;
                start = Math.Min(start, length);
            }
            while (true)
            {
                long end = Math.Min(length, start + window);
                var (text, _) = Read(stream, start, end);
                var parts = SplitLines(text);
                // A window that stops before the end of the file stops mid-line: its last piece is not whole.
                if (end < length && parts.Count > 0 && !parts[^1].Raw.EndsWith('\n')) parts.RemoveAt(parts.Count - 1);
                if (parts.Count >= lines || end >= length)
                {
                    var taken = parts.Take(lines).ToList();
                    long stop = start + taken.Sum(l => (long)Encoding.UTF8.GetByteCount(l.Raw));
                    return new LogPage(taken.Select(l => Clip(l.Text)).ToList(), start, stop, length);
                }
                window *= 2;
            }
        }
    }

    /// <summary>
    /// The lines of a log that contain <paramref name="query"/> (ordinal, ignoring case), the first <paramref name="limit"/>,
    /// streamed from disk line by line: memory stays small for a log of any size.
    /// </summary>
    public static LogSearch SearchLog(string path, string query, int limit = 200, CancellationToken cancel = default)
    {
        limit = Math.Clamp(limit, 1, 1000);
        using var stream = OpenShared(path);
        var matches = new List<LogMatch>();
        long lineNumber = 0, offset = 0;
        bool more = false;
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        var line = new StringBuilder();
        // Lines are read by hand (not ReadLine) to know each one's byte offset, which a page can start from.
        int c;
        long lineStart = 0;
        var buffer = new char[1 << 16];
        int read;
        while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            cancel.ThrowIfCancellationRequested();
            for (int i = 0; i < read; i++)
            {
                c = buffer[i];
                offset += c < 0x80 ? 1 : char.IsSurrogate((char)c) ? 2 : c < 0x800 ? 2 : 3;
                if (c != '\n')
                {
                    if (line.Length < MaxLineChars) line.Append((char)c);
                    continue;
                }
                lineNumber++;
                if (Matches(line, query))
                {
                    if (matches.Count == limit) { more = true; return new LogSearch(query, matches, more, stream.Length); }
                    matches.Add(new LogMatch(lineNumber, lineStart, Clip(line.ToString().TrimEnd('\r'))));
                }
                line.Clear();
                lineStart = offset;
            }
        }
        if (line.Length > 0 && Matches(line, query) && matches.Count < limit)
            matches.Add(new LogMatch(lineNumber + 1, lineStart, Clip(line.ToString().TrimEnd('\r'))));
        return new LogSearch(query, matches, more, stream.Length);
    }

    private static bool Matches(StringBuilder line, string query) =>
        line.Length >= query.Length && line.ToString().Contains(query, StringComparison.OrdinalIgnoreCase);

    private static FileStream OpenShared(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

    private static (string Text, long End) Read(FileStream stream, long start, long end)
    {
        var bytes = new byte[end - start];
        stream.Seek(start, SeekOrigin.Begin);
        stream.ReadExactly(bytes);
        return (Encoding.UTF8.GetString(bytes), end);
    }

    /// <summary>The text split after each '\n': Raw keeps the newline (to count bytes), Text drops it (and a '\r').</summary>
    private static List<(string Raw, string Text)> SplitLines(string text)
    {
        var parts = new List<(string, string)>();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '\n') continue;
            string raw = text[start..(i + 1)];
            parts.Add((raw, raw.TrimEnd('\n').TrimEnd('\r')));
            start = i + 1;
        }
        if (start < text.Length) parts.Add((text[start..], text[start..].TrimEnd('\r')));
        return parts;
    }

    private static string Clip(string line) => line.Length <= MaxLineChars ? line : line[..MaxLineChars] + " …(line cut)";

    /// <summary>The last <paramref name="lines"/> lines of the run's worker.log, or null when there is none.</summary>
    public static IReadOnlyList<string>? LogTail(string runDirectory, int lines = 100)
    {
        string path = Path.Combine(runDirectory, LogFileName);
        if (string.IsNullOrEmpty(runDirectory) || !File.Exists(path)) return null;
        try { return ReadLog(path, lines: lines).Lines; }
        catch (IOException e) { return [$"(cannot read {path}: {e.Message})"]; }
    }

    // ---- downloads -----------------------------------------------------------------------------------------

    /// <summary>
    /// The full path of <paramref name="relative"/> inside the run folder, or null when it points outside it (a
    /// "..", an absolute path, a link that leads out): a download never serves a file that is not the run's.
    /// </summary>
    public static string? InsideRun(string runDirectory, string relative)
    {
        if (string.IsNullOrEmpty(runDirectory) || string.IsNullOrWhiteSpace(relative) || Path.IsPathRooted(relative) || relative.Contains('\0')) return null;
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDirectory)) + Path.DirectorySeparatorChar;
        string full = Path.GetFullPath(Path.Combine(root, relative));
        if (!full.StartsWith(root, StringComparison.Ordinal)) return null;
        // A symbolic link inside the folder may point anywhere: follow it and check where it lands.
        var info = new FileInfo(full);
        if (info.Exists && info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target
            && !Path.GetFullPath(target.FullName).StartsWith(root, StringComparison.Ordinal)) return null;
        return full;
    }

    /// <summary>The checkpoint folder <paramref name="name"/> (e.g. step-00000060) of the run, or null when it has none by that name.</summary>
    public static string? CheckpointFolder(string runDirectory, string name)
    {
        if (name.Length == 0 || name.IndexOfAny(['/', '\\']) >= 0 || name is "." or "..") return null;
        string? folder = InsideRun(runDirectory, Path.Combine("checkpoints", name));
        return folder is not null && Directory.Exists(folder) ? folder : null;
    }

    /// <summary>Writes a zip of a checkpoint folder to <paramref name="output"/> as it reads it (nothing is kept on disk or in memory).</summary>
    public static async Task ZipFolderAsync(string folder, Stream output, CancellationToken cancel)
    {
        // Checkpoint tensors hardly compress; Fastest keeps the CPU for training.
        await using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        string prefix = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            cancel.ThrowIfCancellationRequested();
            var entry = zip.CreateEntry(prefix + "/" + Path.GetRelativePath(folder, file).Replace('\\', '/'), CompressionLevel.Fastest);
            await using var target = await entry.OpenAsync(cancel);
            await using var source = OpenShared(file);
            await source.CopyToAsync(target, cancel);
        }
    }

    /// <summary>The run's metrics rows as CSV: step, then every series in name order; empty cells where a row lacks one.</summary>
    public static async Task WriteMetricsCsvAsync(RunStore store, string runId, Stream output, CancellationToken cancel)
    {
        var names = store.MetricNames(runId).Where(n => n != "step").ToList();
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true);
        await writer.WriteLineAsync(string.Join(',', new[] { "step" }.Concat(names).Select(Csv)));
        foreach (var row in store.Metrics(runId))
        {
            cancel.ThrowIfCancellationRequested();
            await writer.WriteLineAsync(string.Join(',', new[] { row.Step.ToString(CultureInfo.InvariantCulture) }
                .Concat(names.Select(n => row.Values.TryGetValue(n, out double v) ? v.ToString("R", CultureInfo.InvariantCulture) : "")).Select(Csv)));
        }
    }

    private static string Csv(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;

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
