using System.Text.Json.Nodes;
using SkiaSharp;

namespace Scott.Lab.Cli.Tests;

/// <summary>`bench maps` and `viz --size` on a tiny run cut to 4 steps of 16 images (checkpoints at steps 2 and 4).</summary>
public class BenchMapsCommandTests
{
    private static string TrainShort()
    {
        string runDir = CliRunner.TempDir();
        var (exit, _, error) = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", runDir,
            "--set", "trainer.steps=4", "--set", "trainer.batch_size=16", "--set", "trainer.checkpoint_every=2");
        Assert.True(exit == 0, error);
        return runDir;
    }

    [Fact]
    public void Bench_maps_prints_cold_and_warm_seconds_with_one_model_load_and_one_encoder_run()
    {
        string runDir = TrainShort();
        var (exit, output, error) = CliRunner.Run("bench", "maps", "--run", runDir, "--images", "3", "--checkpoint", "2");
        Assert.True(exit == 0, error);
        var line = JsonNode.Parse(output.Trim())!.AsObject();
        Assert.Equal(("step-00000002", 3, 6), ((string)line["checkpoint"]!, (int)line["images"]!, (int)line["requests"]!));
        double cold = (double)line["cold_seconds"]!, warm = (double)line["warm_seconds"]!;
        Assert.True(cold > warm && warm > 0, $"cold {cold} s, warm {warm} s");
        Assert.Equal(Math.Round(cold / warm, 1), (double)line["ratio"]!, 0.2 * cold / warm);
        Assert.Equal((1, 1), ((int)line["model_loads"]!, (int)line["encoder_runs"]!)); // the warm pass and the new threshold reuse both

        var missing = CliRunner.Run("bench", "maps", "--run", runDir, "--checkpoint", "9");
        Assert.Equal(2, missing.Exit);
        Assert.Contains("--checkpoint: no checkpoint '9' in this run. Available: step-00000002, step-00000004", missing.Err);
        var notARun = CliRunner.Run("bench", "maps", "--run", CliRunner.TempDir());
        Assert.Equal(2, notARun.Exit);
        Assert.Contains("has no config.yaml; is it a run directory made by `scott-lab train`?", notARun.Err);
    }

    [Fact]
    public void Viz_size_enlarges_every_picture_and_the_contact_sheet()
    {
        string runDir = TrainShort();
        string outDir = CliRunner.TempDir();
        var (exit, _, error) = CliRunner.Run("viz", "--run", runDir, "--sample", "2", "--out", outDir, "--size", "40", "--upsample", "bilinear");
        Assert.True(exit == 0, error);
        foreach (var folder in Directory.GetDirectories(outDir))
            foreach (var file in new[] { "original.png", "pca.png", "attention-mean.png", "attention-head1.png" })
            {
                using var bitmap = SKBitmap.Decode(Path.Combine(folder, file));
                Assert.Equal((40, 40), (bitmap.Width, bitmap.Height));
            }
        using var sheet = SKBitmap.Decode(Path.Combine(outDir, "contact-sheet.png"));
        Assert.Equal((3 * 40 + 4 * 2, 2 * 40 + 3 * 2), (sheet.Width, sheet.Height));

        var tooBig = CliRunner.Run("viz", "--run", runDir, "--sample", "1", "--out", outDir, "--size", "5000");
        Assert.Equal(2, tooBig.Exit);
        Assert.Contains("--size: must be between 8 and 1024", tooBig.Err);
    }
}
