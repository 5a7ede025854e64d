using System.Text;
using System.Text.Json;
using Scott.Lab.Runs.Reporting;

namespace Scott.Lab.Cli.Recording;

/// <summary>
/// Reports a run to the portal over HTTP without ever making training wait for it. Every event is first appended
/// to a journal in the run folder (<see cref="JournalFile"/>, one JSON line each, with its sequence number); a
/// background sender reads the journal from where it got to and posts batches in order, backing off while the
/// portal cannot be reached. The journal is the buffer (memory stays bounded however long the portal is down), and
/// it outlives the process: a later worker of the same run (a resume, a Slurm requeue) continues the sequence, and
/// the portal itself replays a journal a worker left behind (<c>Features/Ingest/JournalReplay</c>). The store skips
/// what it already applied (<see cref="RunEvent.Seq"/>), so sending something twice is harmless.
/// </summary>
public sealed class PortalRecorder : RunReporter
{
    /// <summary>The training worker's journal, in the run folder.</summary>
    public const string JournalFile = ReportJournal.FileName;
    /// <summary>An `eval`'s journal: its events are unsequenced (evaluations are idempotent by id).</summary>
    public const string EvalJournalFile = ReportJournal.EvalFileName;

    private readonly PortalClient _client;
    private readonly string _runId;
    private readonly string _journal;
    private readonly bool _sequenced;
    private readonly bool _ownsClient;
    private readonly TextWriter _log;
    private readonly object _gate = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _sender;
    private long _sequence;      // last sequence written to the journal
    private long _acknowledged;  // highest sequence the portal says it applied
    private long _sentOffset;    // bytes of the journal sent (or skipped as already applied)
    private long _written;       // bytes of the journal written
    private bool _unreachableSaid;
    private int _writeWarnings;

    /// <param name="acknowledged">The portal's <see cref="IngestRun.ReportedSequence"/> for the run when this worker claimed it.</param>
    public PortalRecorder(PortalClient client, string runId, string runDirectory, long acknowledged, TextWriter log,
        bool sequenced = true, TimeSpan? maxBackoff = null, bool ownsClient = false)
    {
        (_client, _runId, _log, _sequenced, _ownsClient) = (client, runId, log, sequenced, ownsClient);
        Directory.CreateDirectory(runDirectory);
        _journal = Path.Combine(runDirectory, sequenced ? JournalFile : EvalJournalFile);
        _acknowledged = acknowledged;
        MaxBackoff = maxBackoff ?? TimeSpan.FromSeconds(5);
        (_sequence, _written) = OpenJournal(_journal);
        _sequence = Math.Max(_sequence, acknowledged);
        _sender = new Thread(SendLoop) { IsBackground = true, Name = $"report sender for run {runId}" };
        _sender.Start();
    }

    public override string? RunId => _runId;

    /// <summary>The longest wait between two tries while the portal cannot be reached.</summary>
    public TimeSpan MaxBackoff { get; }

    public string JournalPath => _journal;

    /// <summary>When set, <see cref="Dispose"/> first gives the portal this long to take what is left (<see cref="FinishReporting"/>).</summary>
    public TimeSpan? FlushOnDispose { get; init; }

    /// <summary>Highest sequence the portal has acknowledged.</summary>
    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    /// <summary>True when everything journaled has been sent and acknowledged.</summary>
    public bool Flushed { get { lock (_gate) return _sentOffset >= _written; } }

    protected override void Emit(RunEvent e)
    {
        lock (_gate)
        {
            e.Seq = _sequenced ? ++_sequence : 0;
            byte[] line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(e, RunEvent.Json) + "\n");
            try
            {
                using var stream = new FileStream(_journal, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                stream.Write(line);
                _written = stream.Position;
            }
            catch (Exception x) when (x is IOException or UnauthorizedAccessException)
            {
                // The journal is the record of what the portal has not seen: without it this event can't be replayed.
                if (++_writeWarnings <= 3)
                    _log.WriteLine($"warning: could not write {_journal} ({x.Message}); event {e.Kind} (seq {e.Seq}) is not recorded. Training goes on; metrics.jsonl in the run folder has the rows.");
                return;
            }
        }
        _wake.Set();
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the portal to acknowledge everything; true when it has.</summary>
    public bool Flush(TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _wake.Set();
        while (!Flushed)
        {
            if (clock.Elapsed >= timeout) return false;
            Thread.Sleep(50);
        }
        return true;
    }

    /// <summary>Flushes for up to <paramref name="timeout"/> and says on stderr what is left (it stays in the journal).</summary>
    public void FinishReporting(TimeSpan timeout)
    {
        if (Flushed) return;
        _log.WriteLine($"reporting: waiting up to {timeout.TotalSeconds:F0} s for the portal {_client.Url} to take the last events of run {_runId}...");
        if (Flush(timeout))
        {
            _log.WriteLine("reporting: all events delivered.");
            return;
        }
        _log.WriteLine($"reporting: the portal {_client.Url} did not take every event within {timeout.TotalSeconds:F0} s. They stay in {_journal}; " +
                       "the portal replays the journal when it sees this worker gone, and a resumed worker sends them first. Nothing is lost.");
    }

    private void SendLoop()
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!_stop.IsCancellationRequested)
        {
            long from;
            lock (_gate) from = _sentOffset;
            var (events, end) = ReportJournal.ReadBatch(_journal, from, _sequenced ? Acknowledged : -1);
            if (events.Count == 0)
            {
                if (end > from) { lock (_gate) _sentOffset = end; continue; } // only lines applied before: skipped
                _wake.WaitOne(TimeSpan.FromSeconds(1));
                continue;
            }
            try
            {
                long ack = _client.PostEvents(_runId, events);
                if (_sequenced && ack < events.Where(e => e.Seq > 0).Select(e => e.Seq).DefaultIfEmpty(0).Max())
                    throw new PortalException(System.Net.HttpStatusCode.ServiceUnavailable, $"the portal acknowledged sequence {ack}, short of the batch's last");
                InterlockedMax(ref _acknowledged, ack);
                lock (_gate) _sentOffset = end;
                if (_unreachableSaid) _log.WriteLine($"reporting: the portal {_client.Url} answers again; the journal is being replayed.");
                _unreachableSaid = false;
                backoff = TimeSpan.FromMilliseconds(250);
            }
            catch (Exception x) when (x is HttpRequestException or TaskCanceledException or PortalException or IOException)
            {
                if (!_unreachableSaid)
                {
                    string why = x is PortalException p && p.Permanent ? $"refused: {x.Message}" : $"unreachable ({x.Message})";
                    _log.WriteLine($"reporting: the portal {_client.Url} is {why}. Training goes on; events wait in {_journal} and are sent when it answers.");
                    _unreachableSaid = true;
                }
                _stop.Token.WaitHandle.WaitOne(backoff);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while ((seen = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    /// <summary>
    /// The last sequence in a journal and its length. A line torn by a kill (no newline at the end) is closed, so the
    /// next event starts on a line of its own; the torn line is skipped when read.
    /// </summary>
    private static (long Sequence, long Length) OpenJournal(string path)
    {
        if (!File.Exists(path)) return (0, 0);
        long last = 0;
        foreach (var e in ReportJournal.ReadAll(path)) last = Math.Max(last, e.Seq);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        if (stream.Length > 0)
        {
            stream.Seek(-1, SeekOrigin.End);
            if (stream.ReadByte() != '\n') { stream.Seek(0, SeekOrigin.End); stream.WriteByte((byte)'\n'); }
        }
        return (last, stream.Length);
    }

    public override void Dispose()
    {
        if (FlushOnDispose is { } flush) FinishReporting(flush);
        _stop.Cancel();
        _wake.Set();
        _sender.Join(TimeSpan.FromSeconds(5));
        if (_ownsClient) _client.Dispose();
        base.Dispose();
    }
}
