using System.Globalization;
using System.Text.Json.Nodes;
using Scott.Lab.Runs;
using static Scott.Lab.Cli.Tests.Interop.InteropSupport;

namespace Scott.Lab.Cli.Tests.Interop;

/// <summary>
/// Parity with PyTorch: reference_forward.py is a forward of the SCOTT encoder written from the method's description (the paper's architecture as the README and the engine document it) in plain
/// PyTorch, reading weights by the reference's key names. It loads what export writes, and writes what import reads;
/// the tokens must agree to float32 tolerance (max |diff| ≤ 1e-4 after the final LayerNorm) on 64x64 images.
/// </summary>
public class PytorchParityTests
{
    private const double Tolerance = 1e-4;

    [PythonTorchFact]
    public void BothExportFormatsLoadInPyTorch()
    {
        string data = CliRunner.TempDir(), work = CliRunner.TempDir();
        string st = Path.Combine(work, "encoder.safetensors"), pt = Path.Combine(work, "encoder.pt");
        Ok(data, "export", "--run", TrainedScottRun, "--out", st);
        Ok(data, "export", "--run", TrainedScottRun, "--format", "pytorch", "--out", pt);
        var output = PythonTorch.RunScript("check", st, pt);
        var expected = JsonNode.Parse(File.ReadAllText(st + ".json"))!["tensors"]!.AsArray()
            .ToDictionary(t => t!["key"]!.GetValue<string>(), t => t!["shape"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray());
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var loaded = JsonNode.Parse(line[(line.IndexOf(' ') + 1)..])!.AsObject();
            Assert.Equal(expected.Keys.Order(), loaded.Select(kv => kv.Key).Order());
            foreach (var (key, value) in loaded)
            {
                Assert.Equal(expected[key], value![0]!.AsArray().Select(s => s!.GetValue<long>()).ToArray());
                Assert.Equal("torch.float32", value[1]!.GetValue<string>());
            }
        }
    }

    [PythonTorchFact]
    public void ExportedWeightsGiveEmbedsTokensInPyTorch()
    {
        string data = CliRunner.TempDir(), work = CliRunner.TempDir();
        var (pngs, raw) = GreyImages(Path.Combine(work, "img"), 3);
        string st = Path.Combine(work, "encoder.safetensors"), pt = Path.Combine(work, "encoder.pt");
        Ok(data, "export", "--run", TrainedScottRun, "--out", st);
        Ok(data, "export", "--run", TrainedScottRun, "--format", "pytorch", "--out", pt);
        string emb = Path.Combine(work, "emb");
        Ok(data, "embed", "--run", TrainedScottRun, "--images", string.Join(",", pngs), "--tokens", "--out", emb);
        var output = PythonTorch.RunScript("forward", st + "," + pt, st + ".json", raw, Path.Combine(emb, "embeddings.safetensors"));
        var diffs = output.Split('\n').Where(l => l.StartsWith("maxdiff=", StringComparison.Ordinal))
            .Select(l => double.Parse(l["maxdiff=".Length..], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(2, diffs.Count); // safetensors, then the torch.save file
        Assert.Equal(2, output.Split('\n').Count(l => l == "shape [3, 16, 32] [3, 16, 32]"));
        Assert.All(diffs, diff => Assert.True(diff <= Tolerance, $"PyTorch tokens differ from embed's by {diff}"));
    }

    [PythonTorchFact]
    public void WeightsMadeInPyTorchImportAndGiveItsTokens()
    {
        string data = CliRunner.TempDir(), work = CliRunner.TempDir();
        var (pngs, raw) = GreyImages(Path.Combine(work, "img"), 3);
        // A sidecar as a PyTorch user writes it: get_model's arguments, and the normalisation of the dataset used here.
        string exported = Path.Combine(work, "e.safetensors");
        Ok(data, "export", "--run", TrainedScottRun, "--out", exported);
        var normalize = JsonNode.Parse(File.ReadAllText(exported + ".json"))!["preprocessing"]!["normalize"]!.DeepClone();
        string sidecar = Path.Combine(work, "model.json");
        File.WriteAllText(sidecar, new JsonObject
        {
            ["model"] = new JsonObject
            {
                ["name"] = "scott", ["img_size"] = 64, ["patch_size"] = 16, ["in_channels"] = 1, ["embed_dim"] = 32,
                ["depth"] = 2, ["num_heads"] = 2, ["mlp_ratio"] = 4.0, ["num_register_tokens"] = 0, ["ffn_layer"] = "swiglu",
            },
            ["preprocessing"] = new JsonObject { ["normalize"] = normalize },
        }.ToJsonString());
        string weights = Path.Combine(work, "torch.pt"), tokensFile = Path.Combine(work, "tokens.f32");
        PythonTorch.RunScript("make", weights, sidecar, raw, tokensFile);

        // The sidecar's model replaces the config's (SCOTT with registers and an MLP) for a SwiGLU SCOTT without registers.
        var record = ImportedRun(data, Ok(data, "import", "--weights", weights, "--sidecar", sidecar, "--config", WriteConfig(ScottConfig)));
        Assert.Equal(RunStatus.Imported, record.Status);
        Assert.Equal("swiglu", record.Spec!["model"]!["ffn"]!.GetValue<string>());
        Assert.Equal("0", record.Spec!["model"]!["registers"]!.ToJsonString());
        string emb = Path.Combine(work, "emb");
        Ok(data, "embed", "--run", record.Directory, "--images", string.Join(",", pngs), "--tokens", "--out", emb);
        var ours = Read(Path.Combine(emb, "embeddings.safetensors"))["tokens"];
        var bytes = File.ReadAllBytes(tokensFile);
        var theirs = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, theirs, 0, bytes.Length);
        Assert.Equal(3 * 16 * 32, theirs.Length);
        var flat = ours.contiguous().data<float>().ToArray();
        double diff = flat.Zip(theirs).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(diff <= Tolerance, $"imported weights give tokens {diff} away from PyTorch's");
        Assert.True(theirs.Select(Math.Abs).Max() > 0.1, "the PyTorch tokens are not trivial");
    }
}
