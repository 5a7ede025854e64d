using System.Text.Json;

namespace Scott.Lab.Runs.Reporting;

/// <summary>
/// A worker's report journal: one <see cref="RunEvent"/> per JSON line, appended in sequence order, in the run folder.
/// Written by the CLI's PortalRecorder, read by its sender and by the portal when it replays what a worker left.
/// </summary>
public static class ReportJournal
{
    /// <summary>The training worker's journal.</summary>
    public const string FileName = "report-journal.jsonl";
    /// <summary>An `eval`'s journal (unsequenced events).</summary>
    public const string EvalFileName = "eval-report-journal.jsonl";

    /// <summary>Events per batch the sender posts.</summary>
    public const int MaxBatchEvents = 200;
    /// <summary>Bytes of journal per batch: well under the portal's ScottLab:MaxJsonBodyKilobytes (1024).</summary>
    public const int MaxBatchBytes = 256 * 1024;

    /// <summary>Every readable event of a journal, in order (torn or foreign lines skipped).</summary>
    public static IEnumerable<RunEvent> ReadAll(string path)
    {
        long offset = 0;
        while (true)
        {
            var (events, end) = ReadBatch(path, offset, -1, int.MaxValue, int.MaxValue);
            foreach (var e in events) yield return e;
            if (end == offset) yield break;
            offset = end;
        }
    }

    /// <summary>
    /// Complete lines from <paramref name="offset"/>, up to a batch; events at or below <paramref name="applied"/>
    /// (sequenced) are skipped. Returns the events and the offset after the last line read.
    /// </summary>
    public static (List<RunEvent> Events, long End) ReadBatch(string path, long offset, long applied, int maxEvents = MaxBatchEvents, int maxBytes = MaxBatchBytes)
    {
        var events = new List<RunEvent>();
        if (!File.Exists(path)) return (events, offset);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length <= offset) return (events, offset);
        stream.Seek(offset, SeekOrigin.Begin);
        long end = offset;
        int bytes = 0;
        var line = new List<byte>(512);
        int b;
        while (events.Count < maxEvents && bytes < maxBytes && (b = stream.ReadByte()) >= 0)
        {
            if (b != '\n') { line.Add((byte)b); continue; }
            end = stream.Position;
            bytes += line.Count;
            if (line.Count > 0 && Parse(line) is { } e && (e.Seq == 0 || e.Seq > applied)) events.Add(e);
            line.Clear();
        }
        return (events, end); // a last line without its newline is still being written: read next time
    }

    private static RunEvent? Parse(List<byte> line)
    {
        try { return JsonSerializer.Deserialize<RunEvent>(line.ToArray(), RunEvent.Json); }
        catch (JsonException) { return null; } // torn by a kill mid-write
    }

}
