using System.Text;
using Scott.Lab.Web.Features.Runs;
using Scott.Lab.Web.Tests.Plugins;

namespace Scott.Lab.Web.Tests.RunDetails;

/// <summary>The Log tab's paging and search, and the download path checks, on real files.</summary>
public sealed class RunFilesTests : IDisposable
{
    private readonly string _dir = TempFolder.Create("runfiles");

    public void Dispose() => TempFolder.TryDelete(_dir);

    private string WriteLog(int lines, Func<int, string>? text = null)
    {
        string path = Path.Combine(_dir, "worker.log");
        File.WriteAllText(path, string.Concat(Enumerable.Range(1, lines).Select(i => (text?.Invoke(i) ?? $"line {i}") + "\n")));
        return path;
    }

    [Fact]
    public void PagesWalkTheWholeLogInBothDirectionsWithoutGapsOrRepeats()
    {
        string path = WriteLog(5000, i => i % 7 == 0 ? $"line {i} é ünïcode" : $"line {i}");

        var tail = RunFiles.ReadLog(path, lines: 300);
        Assert.Equal(300, tail.Lines.Count);
        Assert.Equal("line 5000", tail.Lines[^1]);
        Assert.Equal("line 4701", tail.Lines[0]);
        Assert.True(tail.AtEnd);
        Assert.False(tail.AtStart);

        // Backwards from the end to the start: every line once, in order.
        var seen = new List<string>();
        var page = tail;
        while (true)
        {
            seen.InsertRange(0, page.Lines);
            if (page.AtStart) break;
            page = RunFiles.ReadLog(path, before: page.Start, lines: 300);
        }
        Assert.Equal(Enumerable.Range(1, 5000).Select(i => i % 7 == 0 ? $"line {i} é ünïcode" : $"line {i}"), seen);

        // Forwards from the start.
        seen.Clear();
        page = RunFiles.ReadLog(path, from: 0, lines: 700);
        while (true)
        {
            seen.AddRange(page.Lines);
            if (page.AtEnd) break;
            page = RunFiles.ReadLog(path, from: page.End, lines: 700);
        }
        Assert.Equal(5000, seen.Count);
        Assert.Equal("line 1", seen[0]);
        Assert.Equal("line 5000", seen[^1]);
    }

    [Fact]
    public void APageFromAnOffsetInsideALineStartsAtTheNextLine()
    {
        string path = WriteLog(10);
        long insideLine2 = Encoding.UTF8.GetByteCount("line 1\n") + 2;
        var page = RunFiles.ReadLog(path, from: insideLine2, lines: 3);
        Assert.Equal(["line 3", "line 4", "line 5"], page.Lines);
    }

    [Fact]
    public void SearchFindsLinesWithTheirNumbersAndOffsetsThatAPageOpensAt()
    {
        string path = WriteLog(20000, i => i % 5000 == 0 ? $"step {i}: ERROR something broke ü" : $"step {i}: fine");
        var found = RunFiles.SearchLog(path, "error");
        Assert.Equal([5000L, 10000, 15000, 20000], found.Matches.Select(m => m.Line));
        Assert.False(found.More);
        foreach (var match in found.Matches)
            Assert.Equal(match.Text, RunFiles.ReadLog(path, from: match.Offset, lines: 1).Lines[0]);

        var limited = RunFiles.SearchLog(path, "fine", limit: 10);
        Assert.Equal(10, limited.Matches.Count);
        Assert.True(limited.More);
        Assert.Empty(RunFiles.SearchLog(path, "no such text").Matches);
    }

    [Fact]
    public void PathsOutsideTheRunFolderAreRefused()
    {
        string run = Path.Combine(_dir, "run");
        Directory.CreateDirectory(Path.Combine(run, "eval"));
        File.WriteAllText(Path.Combine(run, "eval", "linear.json"), "{}");
        File.WriteAllText(Path.Combine(_dir, "secret.txt"), "not the run's");

        Assert.Equal(Path.Combine(run, "eval", "linear.json"), RunFiles.InsideRun(run, "eval/linear.json"));
        Assert.Null(RunFiles.InsideRun(run, "../secret.txt"));
        Assert.Null(RunFiles.InsideRun(run, "eval/../../secret.txt"));
        Assert.Null(RunFiles.InsideRun(run, Path.Combine(_dir, "secret.txt")));
        Assert.Null(RunFiles.InsideRun(run, "/etc/passwd"));
        Assert.Null(RunFiles.InsideRun(run, "../run-other/x")); // a sibling whose name starts with the run folder's
        File.CreateSymbolicLink(Path.Combine(run, "link.txt"), Path.Combine(_dir, "secret.txt"));
        Assert.Null(RunFiles.InsideRun(run, "link.txt"));

        Assert.Null(RunFiles.CheckpointFolder(run, ".."));
        Assert.Null(RunFiles.CheckpointFolder(run, "../eval"));
    }
}
