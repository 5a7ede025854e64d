using System.Text.Json.Nodes;
using Scott.Lab.Engine.Interop;
using Scott.Lab.Engine.Models;
using Scott.Lab.Runs;
using static Scott.Lab.Cli.Tests.Interop.InteropSupport;

namespace Scott.Lab.Cli.Tests.Interop;

/// <summary>export → import → embed/eval on the CLI, and the import's refusal of bad files with the store untouched.</summary>
public class InteropCommandTests
{
    [Theory]
    [InlineData("safetensors", "reference", "encoder")]
    [InlineData("pytorch", "reference", "all")]
    [InlineData("safetensors", "own", "encoder")]
    public void ExportThenImportGivesBitIdenticalEncoderOutputs(string format, string names, string part)
    {
        string run = TrainedScottRun, data = CliRunner.TempDir(), work = CliRunner.TempDir();
        string file = Path.Combine(work, format == "pytorch" ? "weights.pt" : "weights.safetensors");
        string exported = Ok(data, "export", "--run", run, "--format", format, "--names", names, "--part", part, "--out", file);
        Assert.Contains($"exported {part}", exported);
        var sidecar = JsonNode.Parse(File.ReadAllText(file + ".json"))!;
        Assert.Equal("scott", sidecar["model"]!["name"]!.GetValue<string>());
        // Exactly get_model's arguments, so that get_model(**sidecar["model"]) builds the reference's encoder.
        Assert.Equal(["name", "img_size", "patch_size", "in_channels", "embed_dim", "depth", "num_heads", "mlp_ratio", "num_register_tokens", "ffn_layer", "dropout_rate", "attention_dropout", "stochastic_depth_rate"],
            sidecar["model"]!.AsObject().Select(kv => kv.Key));
        Assert.Equal(64, sidecar["model"]!["img_size"]!.GetValue<int>());
        Assert.Equal(2, sidecar["model"]!["num_register_tokens"]!.GetValue<int>());
        Assert.Equal("mlp", sidecar["model"]!["ffn_layer"]!.GetValue<string>());
        Assert.Equal(32, sidecar["spec"]!["model"]!["width"]!.GetValue<int>());
        Assert.Equal("auto", sidecar["spec"]!["trainer"]!["device"]!.GetValue<string>()); // the run's, not the export's CPU
        Assert.Equal(1, sidecar["preprocessing"]!["channels"]!.GetValue<int>());
        Assert.Contains("neither resized nor cropped", sidecar["preprocessing"]!["at_input_size"]!.GetValue<string>());

        // The sidecar next to the file is found by default.
        string imported = Ok(data, "import", "--weights", file, "--name", "from-export");
        var record = ImportedRun(data, imported);
        Assert.Equal(RunStatus.Imported, record.Status);
        Assert.Equal("from-export", record.Name);
        Assert.Equal("import", record.Source);
        Assert.Equal(["dataset", "tokenizer", "objective"], record.Plugins.Select(p => p.Kind));
        Assert.Equal(("fashion-mnist-sample", "scott", "mim-jepa"), (record.Dataset, record.Tokenizer, record.Objective));
        Assert.Equal("32", record.Spec!["model"]!["width"]!.ToJsonString());
        Assert.False(record.CanResume);
        Assert.True(record.IsFinished);
        Assert.True(File.Exists(Path.Combine(record.Directory, "checkpoints", "step-00000000", "model.bin")));

        string before = Path.Combine(work, "before"), after = Path.Combine(work, "after");
        Ok(data, "embed", "--run", run, "--split", "test", "--limit", "6", "--tokens", "--out", before);
        Ok(data, "embed", "--run", record.Directory, "--split", "test", "--limit", "6", "--tokens", "--out", after);
        var a = Read(Path.Combine(before, "embeddings.safetensors"));
        var b = Read(Path.Combine(after, "embeddings.safetensors"));
        AssertBitIdentical(a["tokens"], b["tokens"], "tokens");
        AssertBitIdentical(a["pooled"], b["pooled"], "pooled");
        Assert.Equal(File.ReadAllText(Path.Combine(before, "tensors.tsv")), File.ReadAllText(Path.Combine(after, "tensors.tsv")));

        // The whole part round-trips: exporting the imported run again gives the same tensors.
        string again = Path.Combine(work, "again" + Path.GetExtension(file));
        Ok(data, "export", "--run", record.Directory, "--format", format, "--names", names, "--part", part, "--out", again);
        var first = Read(file);
        var second = Read(again);
        Assert.Equal(first.Keys, second.Keys);
        foreach (var key in first.Keys) AssertBitIdentical(first[key], second[key], key);
    }

    [Fact]
    public void AnImportedRunIsEvaluatedEmbeddedAndMappedLikeAnyRun()
    {
        // The hand-written plain ViT (28 px, one block): cheap to evaluate.
        string data = CliRunner.TempDir(), work = CliRunner.TempDir();
        string file = Path.Combine(work, "vit.safetensors");
        File.WriteAllBytes(file, HandVit().Bytes());
        var record = ImportedRun(data, Ok(data, "import", "--weights", file, "--config", WriteConfig(VitConfig)));

        Ok(data, "eval", "--run", record.Directory, "--protocol", "knn");
        using (var store = new RunStore(data))
        {
            var evaluation = Assert.Single(store.Evaluations(record.Id));
            Assert.Equal("knn", evaluation.Protocol);
            Assert.Equal(0, evaluation.CheckpointStep);
        }
        Ok(data, "viz", "--run", record.Directory, "--sample", "1", "--out", Path.Combine(work, "maps"), "--kind", "pca");

        // embed: metadata for the TensorBoard projector (header row: several columns), one row of tensors.tsv per image.
        string emb = Path.Combine(work, "emb");
        Ok(data, "embed", "--run", record.Directory, "--split", "train", "--limit", "3", "--out", emb);
        var metadata = File.ReadAllLines(Path.Combine(emb, "metadata.tsv"));
        Assert.Equal("id\tlabel\tclass", metadata[0]);
        Assert.Equal(4, metadata.Length);
        Assert.StartsWith("train-0\t", metadata[1]);
        var rows = File.ReadAllLines(Path.Combine(emb, "tensors.tsv"));
        Assert.Equal(3, rows.Length);
        Assert.All(rows, r => Assert.Equal(32, r.Split('\t').Length));
        var tensors = Read(Path.Combine(emb, "embeddings.safetensors"));
        Assert.Equal(["pooled"], tensors.Keys); // no --tokens
        Assert.Equal([3L, 32L], tensors["pooled"].shape);
        Assert.Equal(float.Parse(rows[1].Split('\t')[5], System.Globalization.CultureInfo.InvariantCulture), tensors["pooled"][1, 5].item<float>());
    }

    [Fact]
    public void EmbedDoesNotResizeImagesAlreadyAtTheInputSize()
    {
        string data = CliRunner.TempDir(), work = CliRunner.TempDir();
        var (pngs, _) = GreyImages(Path.Combine(work, "img"), 2);
        string out1 = Path.Combine(work, "files");
        Ok(data, "embed", "--run", TrainedScottRun, "--images", string.Join(",", pngs), "--tokens", "--out", out1);
        var tokens = Read(Path.Combine(out1, "embeddings.safetensors"))["tokens"];
        Assert.Equal([2L, 16L, 32L], tokens.shape); // 64 px → a 4x4 grid, registers dropped
        Assert.Equal(["id\tlabel\tclass", "grey0.png\t-1\t", "grey1.png\t-1\t"], File.ReadAllLines(Path.Combine(out1, "metadata.tsv")));
        var info = JsonNode.Parse(File.ReadAllText(Path.Combine(out1, "embeddings.json")))!;
        Assert.Contains("neither resized nor cropped", info["preprocessing"]!["at_input_size"]!.GetValue<string>());
    }

    /// <summary>The plain-ViT layout, written key by key with the test's own values and its own sin-cos table.</summary>
    private static HandSafetensors HandVit(Func<string, bool>? keep = null, Dictionary<string, long[]>? reshape = null)
    {
        var hand = new HandSafetensors();
        int seed = 0;
        void Add(string name, params long[] shape)
        {
            if (keep is not null && !keep(name)) return;
            if (reshape is not null && reshape.TryGetValue(name, out var other)) shape = other;
            int n = (int)shape.Aggregate(1L, (x, y) => x * y);
            int s = ++seed;
            hand.Add(name, shape, Enumerable.Range(0, n).Select(i => (float)(0.05 * Math.Sin(0.37 * i + s))).ToArray());
        }
        Add("tokenizer.proj.weight", 32, 1, 7, 7);
        Add("tokenizer.proj.bias", 32);
        Add("transformer.msk_embed", 1, 1, 32);
        if (keep is null || keep("transformer.pos_embed")) hand.Add("transformer.pos_embed", [16, 32], SinCos(32, 4));
        Add("transformer.blocks.0.self_attn.qkv.weight", 96, 32);
        Add("transformer.blocks.0.self_attn.proj.weight", 32, 32);
        Add("transformer.blocks.0.ffn_layer.w12.weight", 256, 32);
        Add("transformer.blocks.0.ffn_layer.last_linear.weight", 32, 128);
        return hand;
    }

    /// <summary>The 2D sin-cos table as the method describes it (MAE / I-JEPA style): rows then columns, [sin, cos], ω_i = 1/10000^(i/(D/4)).</summary>
    private static float[] SinCos(int dim, int grid)
    {
        int q = dim / 4;
        var table = new float[grid * grid * dim];
        for (int p = 0; p < grid * grid; p++)
            for (int i = 0; i < q; i++)
            {
                double w = Math.Pow(10000, -(double)i / q), r = p / grid * w, c = p % grid * w;
                table[p * dim + i] = (float)Math.Sin(r);
                table[p * dim + q + i] = (float)Math.Cos(r);
                table[p * dim + 2 * q + i] = (float)Math.Sin(c);
                table[p * dim + 3 * q + i] = (float)Math.Cos(c);
            }
        return table;
    }

    [Fact]
    public void AHandWrittenSafetensorsFileImports()
    {
        string data = CliRunner.TempDir(), work = CliRunner.TempDir();
        string file = Path.Combine(work, "hand.safetensors");
        File.WriteAllBytes(file, HandVit().Bytes());
        var record = ImportedRun(data, Ok(data, "import", "--weights", file, "--config", WriteConfig(VitConfig)));
        Assert.Equal(RunStatus.Imported, record.Status);
        Assert.Equal("patch", record.Tokenizer);

        // What was loaded is what the file holds: export it again and compare value by value.
        string back = Path.Combine(work, "back.safetensors");
        Ok(data, "export", "--run", record.Directory, "--out", back);
        var written = Read(file);
        var exported = Read(back);
        Assert.Equal(written.Keys, exported.Keys);
        foreach (var key in written.Keys) AssertBitIdentical(written[key], exported[key], key);
    }

    [Fact]
    public void TruncatedOversizedMistypedAndMisfittingFilesAreRefusedAndTheStoreIsUntouched()
    {
        string data = CliRunner.TempDir(), work = CliRunner.TempDir(), config = WriteConfig(VitConfig);
        string good = Path.Combine(work, "good.safetensors");
        File.WriteAllBytes(good, HandVit().Bytes());
        Ok(data, "import", "--weights", good, "--config", config); // the store exists and holds one run
        string fingerprint = StoreFingerprint(data);

        string Refused(string name, byte[] bytes, params string[] expected)
        {
            string file = Path.Combine(work, name);
            File.WriteAllBytes(file, bytes);
            var (exit, output, error) = CliRunner.Run("--data-dir", data, "import", "--weights", file, "--config", config);
            Assert.True(exit == 2, $"{name}: exit {exit}, {output} {error}");
            Assert.Single(error.Trim().Split('\n'));
            Assert.StartsWith("error: ", error);
            foreach (var text in expected) Assert.Contains(text, error);
            Assert.Equal(fingerprint, StoreFingerprint(data));
            return error;
        }

        var whole = HandVit().Bytes();
        Refused("truncated.safetensors", whole[..^100], "'transformer.blocks.0.ffn_layer.last_linear.weight' ends at data byte", "truncated");
        Refused("header-cut.safetensors", whole[..40], "truncated");
        Refused("tiny.safetensors", whole[..5], "too short");
        Refused("oversized.safetensors", HandVit().Bytes(headerLengthOverride: 1UL << 40), "over the 100 MB limit");
        var f16 = HandVit(keep: n => n != "tokenizer.proj.bias").AddRaw("tokenizer.proj.bias", "F16", [32], new byte[64]).Bytes();
        Refused("f16.safetensors", f16, "'tokenizer.proj.bias' is F16, not F32", "v.float()");
        var i64 = HandVit(keep: n => n != "tokenizer.proj.bias").AddRaw("tokenizer.proj.bias", "I64", [32], new byte[256]).Bytes();
        Refused("i64.safetensors", i64, "is I64, not F32");
        var garbage = (byte[])whole.Clone();
        garbage[9] = (byte)'!';
        Refused("garbage.safetensors", garbage, "not valid JSON");

        // Missing, unexpected and misshapen keys, all named in one message.
        var misfit = HandVit(keep: n => n != "transformer.msk_embed", reshape: new() { ["transformer.blocks.0.self_attn.proj.weight"] = [32, 16] })
            .Add("transformer.blocks.1.self_attn.qkv.weight", [96, 32], new float[96 * 32]).Bytes();
        Refused("misfit.safetensors", misfit,
            "missing 1: transformer.msk_embed [1, 1, 32]",
            "unexpected 1: transformer.blocks.1.self_attn.qkv.weight",
            "misshapen 1: transformer.blocks.0.self_attn.proj.weight is [32, 16], expected [32, 32]",
            "Nothing was loaded");
        // A learned (or otherwise different) position embedding cannot be imported: this project's is fixed.
        var learned = HandVit(keep: n => n != "transformer.pos_embed").Add("transformer.pos_embed", [16, 32], new float[16 * 32]).Bytes();
        Refused("learned-pos.safetensors", learned, "transformer.pos_embed differs from the fixed 2D sin-cos");
        // A config that does not describe the file: every key of the other layout is named.
        string scott = WriteConfig(ScottConfig);
        var (exit, _, error) = CliRunner.Run("--data-dir", data, "import", "--weights", good, "--config", scott);
        Assert.Equal(2, exit);
        Assert.Contains("missing", error);
        Assert.Contains("tokenizer.tokenizer.0.weight", error);
        Assert.Contains("unexpected", error);
        Assert.Contains("tokenizer.proj.weight", error);
        Assert.Equal(fingerprint, StoreFingerprint(data));
        // No configuration at all.
        var none = CliRunner.Run("--data-dir", data, "import", "--weights", good);
        Assert.Equal(2, none.Exit);
        Assert.Contains("--sidecar", none.Err);
        Assert.Equal(fingerprint, StoreFingerprint(data));
    }

    [Fact]
    public void ExportRefusesWhatTheReferenceCannotExpressButOwnNamesCarryIt()
    {
        string data = CliRunner.TempDir(), work = CliRunner.TempDir();
        string run = Path.Combine(work, "tiny");
        Ok(data, "train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", run, "--max-steps", "1");
        var (exit, _, error) = CliRunner.Run("--data-dir", data, "export", "--run", run, "--out", Path.Combine(work, "x.safetensors"));
        Assert.Equal(Scott.Lab.Cli.Commands.CliApp.ExitNoReferenceLayout, exit); // its own code: the portal's automatic names read it
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("the reference cannot express this SCOTT tokenizer (stages 1, kernel_size 5, hidden_channels 16)", error);
        Assert.False(File.Exists(Path.Combine(work, "x.safetensors")));

        string own = Path.Combine(work, "own.safetensors");
        Ok(data, "export", "--run", run, "--names", "own", "--out", own);
        Assert.Null(JsonNode.Parse(File.ReadAllText(own + ".json"))!["model"]);
        var record = ImportedRun(data, Ok(data, "import", "--weights", own));
        var a = Read(own);
        string back = Path.Combine(work, "back.safetensors");
        Ok(data, "export", "--run", record.Directory, "--names", "own", "--out", back);
        var b = Read(back);
        foreach (var key in a.Keys) AssertBitIdentical(a[key], b[key], key);

        var part = CliRunner.Run("--data-dir", data, "export", "--run", run, "--part", "decoder", "--out", Path.Combine(work, "y"));
        Assert.Equal(2, part.Exit);
        Assert.Contains("--part: 'decoder' is not one of encoder, target, predictor, all", part.Err);
    }

    [Fact]
    public void APartTheObjectiveLacksIsAnErrorNotALayoutTheReferenceCannotExpress()
    {
        // A plain ViT the reference can express, trained with an objective that keeps no predictor or target encoder.
        string data = CliRunner.TempDir(), work = CliRunner.TempDir();
        string run = Path.Combine(work, "supervised-vit");
        string yaml = VitConfig.Replace("id: mim-jepa\n  options:\n    predictor_depth: 1", "id: supervised", StringComparison.Ordinal);
        Assert.NotEqual(VitConfig, yaml);
        Ok(data, "train", WriteConfig(yaml), "--run-dir", run);
        foreach (string part in new[] { "predictor", "target" })
        {
            var (exit, _, error) = CliRunner.Run("--data-dir", data, "export", "--run", run, "--names", "reference", "--part", part, "--out", Path.Combine(work, part + ".safetensors"));
            Assert.Equal(2, exit); // not ExitNoReferenceLayout: own names would not help, so the portal must not retry with them
            Assert.Contains($"--part {part}", error);
            Assert.Contains("export --part encoder", error);
        }
        Ok(data, "export", "--run", run, "--names", "reference", "--out", Path.Combine(work, "encoder.safetensors"));
    }
}
