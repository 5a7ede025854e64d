using System.Diagnostics;
using System.IO.Compression;
using Scott.Lab.Cli.Commands;
using Scott.Lab.Engine.Analysis;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Sessions;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Features.Interop;

/// <summary>
/// The run page's "exported weights" download: <c>scott-lab export</c> (the CLI's exporter, run as a child process so
/// its TorchSharp work never shares the portal's process) into <c>RUN/exports/</c>, zipped with its JSON sidecar. An
/// export is made once per checkpoint, part and format and then served from disk. One export at a time.
/// </summary>
public sealed class WeightsExport(RunStore store, WorkerCommandLine commandLine, PortalPaths paths)
{
    public static readonly string[] Parts = ["encoder", "target", "predictor", "all"];
    public static readonly string[] Formats = ["safetensors", "pytorch"];
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>How long one export may take before it is stopped.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The zip (weights + FILE.json) and its download name; every refusal is an <see cref="InteropRequestException"/>.</summary>
    /// <remarks>
    /// <paramref name="names"/>: reference (the paper's PyTorch state-dict keys), own (this project's), or auto (null:
    /// reference when the reference can express the model, else own; the sidecar's key_names says which).
    /// </remarks>
    public async Task<(string Zip, string DownloadName)> ExportAsync(string runId, string? checkpoint, string part, string format, CancellationToken cancel, string? names = null)
    {
        if (names is not (null or "auto" or "reference" or "own")) throw new InteropRequestException($"names: '{names}' is not one of reference, own, auto.");
        if (names is null or "auto")
        {
            // The CLI says with its own exit code when the reference's layout cannot express the model.
            try { return await ExportOnceAsync(runId, checkpoint, part, format, "reference", cancel); }
            catch (InteropRequestException e) when (e.NoReferenceLayout) { return await ExportOnceAsync(runId, checkpoint, part, format, "own", cancel); }
        }
        return await ExportOnceAsync(runId, checkpoint, part, format, names, cancel);
    }

    private async Task<(string Zip, string DownloadName)> ExportOnceAsync(string runId, string? checkpoint, string part, string format, string names, CancellationToken cancel)
    {
        var run = store.Get(runId) ?? throw new InteropRequestException($"No run '{runId}'. GET /api/runs lists the runs.", notFound: true);
        if (!Parts.Contains(part)) throw new InteropRequestException($"part: '{part}' is not one of {string.Join(", ", Parts)}.");
        if (!Formats.Contains(format)) throw new InteropRequestException($"format: '{format}' is not one of {string.Join(", ", Formats)}.");
        string folder;
        try { folder = MapModel.ResolveCheckpoint(run.Directory, checkpoint); }
        catch (MapException e) { throw new InteropRequestException(e.Message, e.NotFound); }
        string name = Path.GetFileName(folder);
        string stem = $"{name}-{part}" + (names == "own" ? "-own-names" : "");
        string exports = Path.Combine(run.Directory, "exports");
        string weights = Path.Combine(exports, stem + (format == "pytorch" ? ".pt" : ".safetensors"));
        string zip = Path.Combine(exports, $"{stem}-{format}.zip");
        string download = $"{run.Name}-{stem}-{format}.zip".Replace(' ', '_');
        if (File.Exists(zip)) return (zip, download);

        await _one.WaitAsync(cancel);
        try
        {
            if (File.Exists(zip)) return (zip, download);
            Directory.CreateDirectory(exports);
            var (code, output) = await RunCliAsync(commandLine.Export(run, folder, part, format, names, weights), cancel);
            if (code == CliApp.ExitNoReferenceLayout)
                throw new InteropRequestException($"scott-lab export: {LastLines(output, 6)}") { NoReferenceLayout = true };
            if (code != 0 || !File.Exists(weights))
                throw new InteropRequestException($"scott-lab export failed (exit code {code}): {LastLines(output, 6)}");
            string temp = zip + ".tmp";
            using (var archive = ZipFile.Open(temp, ZipArchiveMode.Create))
            {
                archive.CreateEntryFromFile(weights, Path.GetFileName(weights), CompressionLevel.Fastest);
                string sidecar = Scott.Lab.Engine.Interop.InteropSidecar.PathFor(weights);
                if (File.Exists(sidecar)) archive.CreateEntryFromFile(sidecar, Path.GetFileName(sidecar));
            }
            File.Move(temp, zip, overwrite: true);
            return (zip, download);
        }
        finally
        {
            _one.Release();
        }
    }

    private async Task<(int Code, string Output)> RunCliAsync(WorkerInvocation invocation, CancellationToken cancel)
    {
        if (!File.Exists(ScottLabCli.Dll))
            throw new InteropRequestException($"{ScottLabCli.Dll} not found: the portal exports with the CLI built beside it.");
        var info = new ProcessStartInfo(ScottLabCli.DotnetHost())
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = paths.ContentRoot,
        };
        info.ArgumentList.Add(ScottLabCli.Dll);
        foreach (var a in invocation.Arguments) info.ArgumentList.Add(a);
        foreach (var (key, value) in invocation.Environment) info.Environment[key] = value;
        using var process = Process.Start(info) ?? throw new InteropRequestException("could not start scott-lab export.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancel);
        var stderr = process.StandardError.ReadToEndAsync(cancel);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(Timeout);
        try { await process.WaitForExitAsync(limit.Token); }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new InteropRequestException(cancel.IsCancellationRequested ? "the export was abandoned (the request was cancelled)." : $"scott-lab export took longer than {Timeout.TotalMinutes:0} minutes and was stopped.");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string LastLines(string text, int count) =>
        string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(count));
}
