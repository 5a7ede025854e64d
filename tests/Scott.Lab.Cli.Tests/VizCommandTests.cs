using System.Buffers.Binary;

namespace Scott.Lab.Cli.Tests;

/// <summary>scott-lab viz on the tiny preset (28 px, a 7×7 grid, 2 heads), trained for its 60 steps.</summary>
public class VizCommandTests
{
    private static readonly byte[] PngSignature = [137, 80, 78, 71, 13, 10, 26, 10];

    private static string TrainTiny()
    {
        string runDir = CliRunner.TempDir();
        var (exit, _, error) = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", runDir);
        Assert.True(exit == 0, error);
        return runDir;
    }

    private static string? _trained;
    private static string TrainTinyOnce() => _trained ??= TrainTiny();

    /// <summary>Width and height from a PNG's IHDR, after checking the signature, the chunk and its CRC-free layout.</summary>
    private static (int Width, int Height) PngSize(string path)
    {
        Assert.True(File.Exists(path), $"{path} missing");
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 33 && bytes.AsSpan(0, 8).SequenceEqual(PngSignature), $"{path} is not a PNG");
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal("IEND", System.Text.Encoding.ASCII.GetString(bytes, bytes.Length - 8, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    [Fact]
    public void SampledAndFileImagesGiveMapsOfTheImageSizeAndAContactSheet()
    {
        string runDir = TrainTiny();
        string outDir = CliRunner.TempDir();
        var (exit, output, error) = CliRunner.Run("viz", "--run", runDir, "--sample", "3", "--out", outDir, "--seed", "1", "--from-token", "24");
        Assert.True(exit == 0, error);
        Assert.Contains("contact sheet", output);
        Assert.Contains("PCA maps", error); // progress on stderr

        var folders = Directory.GetDirectories(outDir).Order().ToArray();
        Assert.Equal(3, folders.Length);
        foreach (var folder in folders)
            foreach (var file in new[] { "original.png", "pca.png", "attention-mean.png", "attention-head0.png", "attention-head1.png", "attention-from24.png" })
                Assert.Equal((28, 28), PngSize(Path.Combine(folder, file)));
        // 3 columns (original | pca | attention mean) and 3 rows of 28 px, 2 px gaps.
        Assert.Equal((3 * 28 + 4 * 2, 3 * 28 + 4 * 2), PngSize(Path.Combine(outDir, "contact-sheet.png")));

        // The same seed draws the same images; files decode through SkiaSharp (the originals just written, as inputs).
        string again = CliRunner.TempDir();
        Assert.Equal(0, CliRunner.Run("viz", "--run", runDir, "--sample", "3", "--out", again, "--seed", "1").Exit);
        Assert.Equal(folders.Select(Path.GetFileName), Directory.GetDirectories(again).Order().Select(Path.GetFileName));

        string fromFiles = CliRunner.TempDir();
        var inputs = string.Join(",", folders.Take(2).Select(f => Path.Combine(f, "original.png")));
        var files = CliRunner.Run("viz", "--run", runDir, "--checkpoint", "30", "--images", inputs, "--out", fromFiles,
            "--kind", "pca", "--threshold", "0.3", "--sign", "-1", "--upsample", "bilinear");
        Assert.True(files.Exit == 0, files.Err);
        var made = Directory.GetDirectories(fromFiles).Order().ToArray();
        Assert.Equal(2, made.Length);
        Assert.Equal((28, 28), PngSize(Path.Combine(made[0], "pca.png")));
        Assert.False(File.Exists(Path.Combine(made[0], "attention-mean.png")));
        Assert.Equal((2 * 28 + 3 * 2, 2 * 28 + 3 * 2), PngSize(Path.Combine(fromFiles, "contact-sheet.png")));
    }

    [Fact]
    public void BadRunsCheckpointsAndImagesAreOneLineErrors()
    {
        var missing = CliRunner.Run("viz", "--run", Path.Combine(CliRunner.TempDir(), "nothing"), "--sample", "2", "--out", CliRunner.TempDir());
        Assert.Equal(2, missing.Exit);
        Assert.Contains("--run:", missing.Err);
        Assert.Contains("not found", missing.Err);

        string untrained = CliRunner.TempDir(); // a config but no checkpoint
        File.Copy(CliRunner.Config("configs/ssl/tiny.yaml"), Path.Combine(untrained, "config.yaml"));
        var noCheckpoint = CliRunner.Run("viz", "--run", untrained, "--sample", "2", "--out", CliRunner.TempDir());
        Assert.Equal(2, noCheckpoint.Exit);
        Assert.Contains("no checkpoint", noCheckpoint.Err);

        var neither = CliRunner.Run("viz", "--run", untrained, "--out", CliRunner.TempDir());
        Assert.Equal(2, neither.Exit);
        Assert.Contains("--images or --sample", neither.Err);

        var badToken = CliRunner.Run("viz", "--run", TrainTinyOnce(), "--sample", "2", "--from-token", "49", "--out", CliRunner.TempDir());
        Assert.Equal(2, badToken.Exit);
        Assert.Contains("--from-token: must be between 0 and 48", badToken.Err);

        var badSign = CliRunner.Run("viz", "--run", untrained, "--sample", "2", "--sign", "0", "--out", CliRunner.TempDir());
        Assert.Equal(2, badSign.Exit);
        Assert.Contains("--sign", badSign.Err);

        string runDir = TrainTinyOnce();
        string notAnImage = Path.Combine(CliRunner.TempDir(), "notes.png");
        File.WriteAllText(notAnImage, "not an image");
        var unreadable = CliRunner.Run("viz", "--run", runDir, "--images", notAnImage, "--out", CliRunner.TempDir());
        Assert.Equal(1, unreadable.Exit);
        Assert.Contains($"cannot read image {notAnImage}", unreadable.Err);
        var absent = CliRunner.Run("viz", "--run", runDir, "--images", notAnImage + ".missing", "--out", CliRunner.TempDir());
        Assert.Equal(1, absent.Exit);
        Assert.Contains(notAnImage + ".missing", absent.Err);
    }
}
