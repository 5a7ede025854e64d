using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Interop;

/// <summary>A weights file that cannot be used: what is wrong with it and how to fix it, in one message.</summary>
public sealed class WeightsFileException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The two file formats of <c>export</c> and <c>import</c>.</summary>
public enum WeightsFormat { Safetensors, Pytorch }

/// <summary>
/// Reads and writes flat state dicts (name → float32 tensor) as safetensors or as a <c>torch.save</c> zip.
/// Writing goes through TorchSharp.PyBridge (its safetensors writer and its PyTorch pickler). Reading safetensors
/// is done here: the header is validated in full (size, JSON, dtypes, shapes, offsets against the file length)
/// before any tensor is made, so a truncated, oversized or mistyped file is refused with a message that names the
/// problem, where PyBridge's reader would fail with a generic exception or try to allocate what the header claims.
/// </summary>
public static class WeightsFile
{
    /// <summary>Largest safetensors header accepted (the format's own readers cap it at 100 MB).</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    public static WeightsFormat ParseFormat(string value) => value.ToLowerInvariant() switch
    {
        "safetensors" => WeightsFormat.Safetensors,
        "pytorch" or "pt" or "pth" => WeightsFormat.Pytorch,
        _ => throw new ArgumentException($"'{value}' is not one of safetensors, pytorch."),
    };

    /// <summary>Writes <paramref name="tensors"/> (in this order) to <paramref name="path"/>, through a temporary file.</summary>
    public static void Save(string path, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, WeightsFormat format)
    {
        var dict = new Dictionary<string, Tensor>(tensors.Count);
        foreach (var (name, tensor) in tensors) dict[name] = tensor.detach().cpu().contiguous();
        string temp = path + ".tmp";
        try
        {
            if (format == WeightsFormat.Safetensors) Safetensors.SaveStateDict(temp, dict);
            else PyTorchPickler.PickleStateDict(temp, dict);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Reads a safetensors file or a <c>torch.save</c>d state dict (recognised by its zip signature).</summary>
    public static List<KeyValuePair<string, Tensor>> Load(string path)
    {
        if (!File.Exists(path)) throw new WeightsFileException($"{path} not found.");
        Span<byte> magic = stackalloc byte[4];
        int got;
        using (var probe = File.OpenRead(path)) got = probe.Read(magic);
        return got == 4 && magic.SequenceEqual("PK\u0003\u0004"u8) ? LoadPytorch(path) : LoadSafetensors(path);
    }

    private static List<KeyValuePair<string, Tensor>> LoadPytorch(string path)
    {
        var dict = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            var table = PyTorchUnpickler.UnpickleStateDict(path);
            foreach (System.Collections.DictionaryEntry entry in table)
            {
                if (entry.Key is not string name || entry.Value is not Tensor value)
                {
                    foreach (var t in dict.Values) t.Dispose();
                    throw new WeightsFileException($"{path}: a torch.save file, but not of a flat state dict (name → tensor): entry '{entry.Key}' is {entry.Value?.GetType().Name ?? "null"}. Save model.state_dict().");
                }
                dict[name] = value;
            }
        }
        catch (WeightsFileException) { throw; }
        catch (Exception e)
        {
            throw new WeightsFileException($"{path}: cannot read this torch.save file ({e.Message}). Save a flat state dict with torch.save(model.state_dict(), path), or use safetensors.", e);
        }
        var result = new List<KeyValuePair<string, Tensor>>();
        foreach (var (name, tensor) in dict)
        {
            if (tensor.dtype != ScalarType.Float32)
            {
                foreach (var t in dict.Values) t.Dispose();
                throw new WeightsFileException($"{path}: tensor '{name}' is {tensor.dtype}; only float32 is read. Convert first: {{k: v.float() for k, v in state_dict.items()}}.");
            }
            result.Add(new(name, tensor));
        }
        return result;
    }

    private sealed record HeaderEntry(string Name, string Dtype, long[] Shape, long Begin, long End);

    /// <summary>Reads a safetensors file after validating its header against the file; only F32 tensors are accepted.</summary>
    public static List<KeyValuePair<string, Tensor>> LoadSafetensors(string path)
    {
        using var file = File.OpenRead(path);
        long length = file.Length;
        if (length < 8) throw new WeightsFileException($"{path}: {length} bytes is too short for a safetensors file (8-byte header length, JSON header, data); the file is truncated or not safetensors.");
        Span<byte> lenBytes = stackalloc byte[8];
        file.ReadExactly(lenBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLength > (ulong)MaxHeaderBytes)
            throw new WeightsFileException($"{path}: the header claims {headerLength} bytes, over the {MaxHeaderBytes / (1024 * 1024)} MB limit of safetensors headers; the file is corrupt or not safetensors.");
        if ((long)headerLength > length - 8)
            throw new WeightsFileException($"{path}: the header claims {headerLength} bytes but the file has only {length - 8} after the length field; the file is truncated.");
        var header = new byte[headerLength];
        file.ReadExactly(header);
        var entries = ParseHeader(path, header);
        long dataLength = length - 8 - (long)headerLength;
        long dataUsed = entries.Count == 0 ? 0 : entries.Max(e => e.End);
        var problems = new List<string>();
        foreach (var e in entries)
        {
            if (e.Dtype != "F32")
                problems.Add($"'{e.Name}' is {e.Dtype}, not F32 (float32)");
            else if (e.End > dataLength)
                problems.Add($"'{e.Name}' ends at data byte {e.End} but the file holds {dataLength} data bytes (truncated)");
            else if (e.End - e.Begin != 4 * e.Shape.Aggregate(1L, (a, b) => a * b))
                problems.Add($"'{e.Name}' has shape [{string.Join(", ", e.Shape)}] ({4 * e.Shape.Aggregate(1L, (a, b) => a * b)} bytes) but spans {e.End - e.Begin} bytes");
        }
        if (problems.Count > 0)
            throw new WeightsFileException($"{path}: {string.Join("; ", problems)}." +
                (problems.Any(p => p.Contains("not F32")) ? " Only float32 weights are read; convert first: {k: v.float() for k, v in state_dict.items()}." : ""));
        if (dataUsed < dataLength)
            throw new WeightsFileException($"{path}: {dataLength - dataUsed} bytes after the last tensor that no header entry describes; the file is corrupt.");

        var result = new List<KeyValuePair<string, Tensor>>();
        try
        {
            long dataStart = 8 + (long)headerLength;
            foreach (var e in entries.OrderBy(e => e.Begin))
            {
                var bytes = new byte[e.End - e.Begin];
                file.Position = dataStart + e.Begin;
                file.ReadExactly(bytes);
                var values = new float[bytes.Length / 4];
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i));
                result.Add(new(e.Name, torch.tensor(values, e.Shape)));
            }
        }
        catch
        {
            foreach (var (_, t) in result) t.Dispose();
            throw;
        }
        // Header order (as written), not data order.
        var order = entries.Select((e, i) => (e.Name, i)).ToDictionary(x => x.Name, x => x.i);
        return result.OrderBy(kv => order[kv.Key]).ToList();
    }

    private static List<HeaderEntry> ParseHeader(string path, byte[] header)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e)
        {
            throw new WeightsFileException($"{path}: the header is not valid JSON ({e.Message}); the file is corrupt or not safetensors.", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new WeightsFileException($"{path}: the header must be a JSON object of tensor entries; the file is not safetensors.");
            var entries = new List<HeaderEntry>();
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__") continue;
                string where = $"{path}: header entry '{prop.Name}'";
                try
                {
                    var v = prop.Value;
                    string dtype = v.GetProperty("dtype").GetString() ?? throw new FormatException("dtype is null");
                    var shape = v.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                    var offsets = v.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
                    if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0]) throw new FormatException("data_offsets must be [begin, end] with 0 ≤ begin ≤ end");
                    if (shape.Any(s => s < 0)) throw new FormatException("a negative dimension");
                    entries.Add(new HeaderEntry(prop.Name, dtype, shape, offsets[0], offsets[1]));
                }
                catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    throw new WeightsFileException($"{where} is malformed ({e.Message}); each entry needs dtype, shape and data_offsets.", e);
                }
            }
            // Entries must tile the data without overlapping.
            long cursor = 0;
            foreach (var e in entries.OrderBy(e => e.Begin))
            {
                if (e.Begin != cursor)
                    throw new WeightsFileException($"{path}: header entry '{e.Name}' starts at data byte {e.Begin}, expected {cursor} (tensors overlap or leave gaps); the file is corrupt.");
                cursor = e.End;
            }
            return entries;
        }
    }

    /// <summary>Describes a dtype as safetensors names it (for messages).</summary>
    public static string Describe(Tensor t) => $"{t.dtype} [{string.Join(", ", t.shape)}]";
}
