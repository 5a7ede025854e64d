using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Scott.Lab.Tests.Shared;
using Scott.Lab.Engine.Analysis;
using Scott.Lab.Engine.Interop;
using Scott.Lab.Runs;
using static TorchSharp.torch;

namespace Scott.Lab.Cli.Tests.Interop;

/// <summary>Runs and files the interop tests share.</summary>
public static class InteropSupport
{
    /// <summary>
    /// A SCOTT the reference can express (2 stages of 7x7 convs, 64 hidden channels) at 64 px on the bundled
    /// Fashion-MNIST sample (1 channel), with registers and an MLP feed-forward, narrow and shallow so it trains in seconds.
    /// </summary>
    public const string ScottConfig = """
        name: interop
        dataset:
          id: fashion-mnist-sample
        tokenizer:
          id: scott
        objective:
          id: mim-jepa
          options:
            predictor_depth: 1
        model:
          image_size: 64
          width: 32
          depth: 2
          heads: 2
          ffn: mlp
          registers: 2
          dropout: 0.0
          attn_dropout: 0.0
          drop_path: 0.0
        trainer:
          steps: 2
          batch_size: 8
          checkpoint_every: 2
          log_every: 1
        """;

    /// <summary>A plain ViT (patch 7 on the 28 px sample, a 4x4 grid), SwiGLU (hidden 128), one block.</summary>
    public const string VitConfig = InteropConfigs.TinyVit;

    public static string WriteConfig(string yaml)
    {
        string file = Path.Combine(CliRunner.TempDir(), "config.yaml");
        File.WriteAllText(file, yaml);
        return file;
    }

    private static readonly Lazy<string> Trained = new(() =>
    {
        string runDir = Path.Combine(CliRunner.TempDir(), "run");
        var (exit, _, error) = CliRunner.Run("--data-dir", CliRunner.TempDir(), "train", WriteConfig(ScottConfig), "--run-dir", runDir);
        Assert.True(exit == 0, error);
        return runDir;
    });

    /// <summary>The SCOTT run, trained once (2 steps) for all interop tests.</summary>
    public static string TrainedScottRun => Trained.Value;

    /// <summary>Runs scott-lab with <c>--data-dir</c>; asserts success and returns stdout.</summary>
    public static string Ok(string dataDir, params string[] args)
    {
        var (exit, output, error) = CliRunner.Run(["--data-dir", dataDir, .. args]);
        Assert.True(exit == 0, $"scott-lab {string.Join(' ', args)} failed ({exit}): {error}");
        return output;
    }

    /// <summary>The one run an import created in <paramref name="dataDir"/>'s store.</summary>
    public static RunRecord ImportedRun(string dataDir, string output)
    {
        string id = output.Split(' ')[Array.IndexOf(output.Split(' '), "run") + 1];
        using var store = new RunStore(dataDir);
        return store.Get(id) ?? throw new InvalidOperationException($"run {id} not in the store ({output})");
    }

    public static Dictionary<string, Tensor> Read(string file) => WeightsFile.Load(file).ToDictionary(kv => kv.Key, kv => kv.Value);

    public static void AssertBitIdentical(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.eq(actual).all().item<bool>(), $"{what}: max |diff| {(expected - actual).abs().max().item<float>()}");
    }

    /// <summary>
    /// 64x64 grey PNGs (R = G = B, so the 1-channel luma is the value itself) and the same pixels raw (uint8 [N, 64, 64, 1]):
    /// images already at the model's input size, which embed neither resizes nor crops.
    /// </summary>
    public static (string[] Pngs, string Raw) GreyImages(string folder, int count, int size = 64)
    {
        // SkiaSharp's native library becomes loadable once scott-lab has loaded its plugin catalog (as training does).
        _ = TrainedScottRun;
        Directory.CreateDirectory(folder);
        var pngs = new string[count];
        var raw = new byte[count * size * size];
        for (int n = 0; n < count; n++)
        {
            var rgb = new byte[size * size * 3];
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    byte v = (byte)((x * (n + 3) + y * y * (n + 1) + (x / 8 + y / 8) % 2 * 90) % 256);
                    raw[n * size * size + y * size + x] = v;
                    rgb[3 * (y * size + x)] = rgb[3 * (y * size + x) + 1] = rgb[3 * (y * size + x) + 2] = v;
                }
            pngs[n] = Path.Combine(folder, $"grey{n}.png");
            File.WriteAllBytes(pngs[n], MapImaging.EncodePng(new RgbPixels(rgb, size, size)));
        }
        string rawFile = Path.Combine(folder, "images.u8");
        File.WriteAllBytes(rawFile, raw);
        return (pngs, rawFile);
    }

    /// <summary>SHA-256 of the store file and the list of run folders: what "the store is untouched" compares.</summary>
    public static string StoreFingerprint(string dataDir)
    {
        string db = Path.Combine(dataDir, RunStore.FileName);
        string hash = File.Exists(db) ? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(db))) : "no-db";
        string runs = Path.Combine(dataDir, "runs");
        var folders = Directory.Exists(runs) ? Directory.GetFileSystemEntries(runs).Select(Path.GetFileName).Order().ToList() : [];
        return hash + "|" + string.Join(",", folders);
    }
}

/// <summary>Writes safetensors by hand, byte by byte, as the format's documentation describes it (no library).</summary>
public sealed class HandSafetensors
{
    private readonly List<(string Name, string Dtype, long[] Shape, byte[] Data)> _tensors = [];

    public HandSafetensors Add(string name, long[] shape, float[] values)
    {
        var data = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), values[i]);
        _tensors.Add((name, "F32", shape, data));
        return this;
    }

    public HandSafetensors AddRaw(string name, string dtype, long[] shape, byte[] data)
    {
        _tensors.Add((name, dtype, shape, data));
        return this;
    }

    public byte[] Bytes(ulong? headerLengthOverride = null)
    {
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach (var (name, dtype, shape, data) in _tensors)
        {
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(shape.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + data.Length),
            };
            offset += data.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var stream = new MemoryStream();
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, headerLengthOverride ?? (ulong)json.Length);
        stream.Write(len);
        stream.Write(json);
        foreach (var t in _tensors) stream.Write(t.Data);
        return stream.ToArray();
    }
}

/// <summary>
/// A test that runs Python with PyTorch (Debian: python3-torch). Skipped with the reason when no python3 can import
/// torch; under CI (the CI variable set) it runs, so a missing PyTorch fails instead of hiding.
/// </summary>
public sealed class PythonTorchFactAttribute : FactAttribute
{
    public PythonTorchFactAttribute()
    {
        if (PythonTorch.Executable is null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Skip = "no python3 with PyTorch found (SCOTT_LAB_PYTHON, python3, /usr/bin/python3): `apt-get install python3-torch` to run the PyTorch parity tests (under CI they fail instead).";
    }
}

public static class PythonTorch
{
    private static readonly Lazy<string?> Found = new(() =>
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("SCOTT_LAB_PYTHON"), "python3", "/usr/bin/python3" };
        foreach (var candidate in candidates.Where(c => !string.IsNullOrEmpty(c)))
        {
            try
            {
                if (Run(candidate!, ["-c", "import torch"], 120).Exit == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        return null;
    });

    public static string? Executable => Found.Value;

    public static string Script => Path.Combine(CliRunner.RepoRoot, "tests/Scott.Lab.Cli.Tests/Interop/reference_forward.py");

    /// <summary>Runs the reference-forward script; asserts success and returns stdout.</summary>
    public static string RunScript(params string[] args)
    {
        var exe = Executable ?? throw new InvalidOperationException("python3 with torch is required (apt-get install python3-torch).");
        var (exit, output, error) = Run(exe, [Script, .. args], 300);
        Assert.True(exit == 0, $"python {string.Join(' ', args)} failed ({exit}):\n{error}\n{output}");
        return output;
    }

    private static (int Exit, string Out, string Err) Run(string exe, string[] args, int timeoutSeconds)
    {
        var info = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            return (-1, stdout.Result, "timed out");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
