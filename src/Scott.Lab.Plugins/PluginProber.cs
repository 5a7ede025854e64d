using System.Diagnostics;
using System.Globalization;

namespace Scott.Lab.Plugins;

/// <summary>How a probe ended: passed, or the reason the file is quarantined. <paramref name="Conclusive"/> is false when the probe itself could not run (nothing to record).</summary>
public sealed record PluginProbeResult(bool Passed, string? Reason, bool Conclusive = true);

/// <summary>
/// Probes a plugin file in a child process before a long-lived process (the portal) loads it:
/// <c>scott-lab plugins probe FILE</c> loads the file and creates its plugins exactly as the catalog would, then
/// prints <see cref="CompleteMarker"/>. A probe that does not get there (the plugin called Environment.Exit, crashed
/// the process, or hung past the timeout) means the file would take the portal down: it is quarantined. A plugin
/// that merely throws passes: the catalog turns that into a Failed entry without harm.
/// </summary>
/// <param name="command">The program and the arguments before <c>plugins probe FILE</c>, e.g. <c>dotnet</c>, <c>scott-lab.dll</c>.</param>
public sealed class PluginProber(IReadOnlyList<string> command, TimeSpan timeout)
{
    /// <summary>The line a probe prints last when it loaded the file and created its plugins.</summary>
    public const string CompleteMarker = "probe complete:";

    /// <summary>Longest tail of the probe's output quoted in a reason.</summary>
    private const int QuotedOutput = 300;

    public TimeSpan Timeout => timeout;

    public PluginProbeResult Probe(string path)
    {
        if (command.Count == 0) throw new InvalidOperationException("The probe command is empty.");
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in command.Skip(1)) info.ArgumentList.Add(arg);
        foreach (var arg in new[] { "plugins", "probe", path }) info.ArgumentList.Add(arg);

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            return new PluginProbeResult(false, $"could not be probed: starting '{string.Join(' ', command)} plugins probe' failed ({e.Message}); it is not loaded until a probe succeeds", Conclusive: false);
        }
        using (process)
        {
            // Lines are collected as they come: a plugin that leaves a grandchild holding the pipes open must not
            // keep the probe from returning.
            var output = new System.Text.StringBuilder();
            var errors = new System.Text.StringBuilder();
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            process.StandardInput.Close();
            if (!process.WaitForExit(timeout))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit(5000);
                return new PluginProbeResult(false, string.Create(CultureInfo.InvariantCulture,
                    $"quarantined: loading it in a separate process (scott-lab plugins probe) did not finish within {timeout.TotalSeconds:0} s; it is not loaded until the file is replaced"));
            }
            try
            {
                // The process has exited; give its output a moment to drain (WaitForExitAsync waits for the pipes' end too).
                using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                process.WaitForExitAsync(drain.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) { }
            string stdout, stderr;
            lock (output) stdout = output.ToString();
            lock (errors) stderr = errors.ToString();
            if (stdout.Split('\n').Any(line => line.StartsWith(CompleteMarker, StringComparison.Ordinal)))
                return new PluginProbeResult(true, null);
            return new PluginProbeResult(false, string.Create(CultureInfo.InvariantCulture,
                $"quarantined: loading it in a separate process (scott-lab plugins probe) ended that process {HowItEnded(process.ExitCode)} before it finished{Quote(stderr, stdout)}; it is not loaded until the file is replaced"));
        }
    }

    /// <summary>"with exit code 7", or on Unix "by signal 11 (SIGSEGV)" for the shell-style codes 128 + n.</summary>
    private static string HowItEnded(int code)
    {
        if (!OperatingSystem.IsWindows() && code is > 128 and < 160)
        {
            int signal = code - 128;
            string name = signal switch { 4 => "SIGILL", 6 => "SIGABRT", 7 => "SIGBUS", 8 => "SIGFPE", 9 => "SIGKILL", 11 => "SIGSEGV", 15 => "SIGTERM", _ => "" };
            return name.Length > 0 ? $"by signal {signal} ({name})" : $"by signal {signal}";
        }
        return $"with exit code {code}";
    }

    /// <summary>": LAST LINE" of what the probe wrote (its error output first), shortened; empty when it wrote nothing.</summary>
    private static string Quote(string errors, string output)
    {
        string? last = errors.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0)
                       ?? output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0);
        if (last is null) return "";
        return " (last output: " + (last.Length > QuotedOutput ? last[..QuotedOutput] + "…" : last) + ")";
    }
}
