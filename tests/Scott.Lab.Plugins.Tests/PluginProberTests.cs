using Scott.Lab.Plugins;

namespace Scott.Lab.Plugins.Tests;

/// <summary>
/// How a probe's end is read, with /bin/sh standing in for <c>dotnet scott-lab.dll</c> (the real probe of a plugin
/// that calls Environment.Exit(7) is in Scott.Lab.Web.Tests/Plugins/PluginQuarantineTests).
/// </summary>
public class PluginProberTests
{
    /// <summary>A prober whose "CLI" is a shell script (it gets "plugins probe FILE" as $1..$3).</summary>
    private static PluginProber Shell(string script, double timeoutSeconds = 30) =>
        new(["/bin/sh", "-c", script, "scott-lab"], TimeSpan.FromSeconds(timeoutSeconds));

    [Fact]
    public void A_probe_that_prints_the_marker_passes_whatever_its_exit_code()
    {
        var result = Shell($"echo \"loaded dataset x ($1 $2 $3)\"; echo '{PluginProber.CompleteMarker} 0 loaded, 1 failed'; exit 1").Probe("/p/x.dll");
        Assert.Equal(new PluginProbeResult(true, null), result);
    }

    [Fact]
    public void A_probe_that_exits_early_quarantines_with_the_code_and_its_last_words()
    {
        var result = Shell("echo starting; echo 'goodbye from the plugin' >&2; exit 7").Probe("/p/x.dll");
        Assert.False(result.Passed);
        Assert.True(result.Conclusive);
        Assert.Equal("quarantined: loading it in a separate process (scott-lab plugins probe) ended that process with exit code 7 "
            + "before it finished (last output: goodbye from the plugin); it is not loaded until the file is replaced", result.Reason);
    }

    [Fact]
    public void A_crash_is_named_by_its_signal()
    {
        if (OperatingSystem.IsWindows()) return;
        var result = Shell("kill -SEGV $$").Probe("/p/x.dll");
        Assert.Contains("ended that process by signal 11 (SIGSEGV) before it finished", result.Reason);
    }

    [Fact]
    public void A_probe_that_hangs_is_killed_and_quarantined()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = Shell("sleep 30", timeoutSeconds: 1).Probe("/p/x.dll");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"{watch.Elapsed}");
        Assert.Equal("quarantined: loading it in a separate process (scott-lab plugins probe) did not finish within 1 s; it is not loaded until the file is replaced", result.Reason);
    }

    [Fact]
    public void A_probe_that_cannot_start_keeps_the_file_out_without_recording_a_verdict()
    {
        var result = new PluginProber(["/nonexistent/dotnet"], TimeSpan.FromSeconds(5)).Probe("/p/x.dll");
        Assert.False(result.Passed);
        Assert.False(result.Conclusive);
        Assert.StartsWith("could not be probed: starting '/nonexistent/dotnet plugins probe' failed", result.Reason);
    }
}
