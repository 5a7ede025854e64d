namespace Scott.Lab.Cli.Tests;

/// <summary>
/// <c>scott-lab datasets inspect</c>, through the plugin catalog: the datasets plugin is loaded from the plugin folder
/// like any third-party plugin, so these tests also show that its decoder and native library work there (this test
/// project has no SkiaSharp native library of its own).
/// </summary>
public class DatasetsCommandTests
{
    /// <summary>
    /// A 40×30 JPEG, left half red (200, 40, 40) and right half blue (40, 40, 200), made once with Pillow 9.4
    /// (<c>Image.new("RGB", (40, 30))</c>, those pixels, <c>save(buf, "JPEG", quality=90)</c>). Bytes rather than an
    /// encoder here because this project must not bring SkiaSharp's native library itself.
    /// </summary>
    private static readonly byte[] Jpeg = Convert.FromBase64String(
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/"
        + "2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAAeACgDASIAAhEBAxEB/8QA"
        + "HwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkK"
        + "FhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXG"
        + "x8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAEC"
        + "AxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOE"
        + "hYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDxSiiivzc/"
        + "tU5fxt/y5f8AA/8A2WuXrqPG3/Ll/wAD/wDZa5ev7W8Ov+SXwn/b/wD6cmfyLx5/yUWJ/wC3P/TcQooor9HPgT1Ciiiv84j++Dl/G3/Ll/wP/wBlrl66jxt/"
        + "y5f8D/8AZa5ev7W8Ov8Akl8J/wBv/wDpyZ/IvHn/ACUWJ/7c/wDTcQooor9HPgT/2Q==");

    /// <summary>ROOT/cats/ and ROOT/dogs/ with two good JPEGs each, plus an empty and a truncated file.</summary>
    private static string ImageFolderWithBadFiles()
    {
        string root = CliRunner.TempDir();
        foreach (var cls in new[] { "cats", "dogs" })
        {
            Directory.CreateDirectory(Path.Combine(root, cls));
            for (int i = 0; i < 2; i++) File.WriteAllBytes(Path.Combine(root, cls, $"{cls}_{i}.jpg"), Jpeg);
        }
        File.WriteAllBytes(Path.Combine(root, "cats", "empty.jpg"), []);
        File.WriteAllBytes(Path.Combine(root, "dogs", "truncated.jpg"), Jpeg[..650]);
        return root;
    }

    [Fact]
    public void TrainingRunsOnAFolderOfPhotographs()
    {
        // 40×30 JPEGs through the whole pipeline: decoded in the plugin, loaded at 32² (8/7 of 28), cropped to 28².
        string root = ImageFolderWithBadFiles();
        string runDir = CliRunner.TempDir();
        var (exit, output, error) = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", runDir,
            "--set", "dataset.id=image-folder", "--set", $"dataset.options.root={root}",
            "--set", "trainer.batch_size=2", "--set", "trainer.steps=3", "--set", "model.image_size=28");
        Assert.True(exit == 0, error);
        Assert.Contains("done: 3/3 steps", output);
        Assert.Contains("4 images", error); // the two bad files are skipped
    }

    [Fact]
    public void Inspect_prints_classes_splits_unreadable_images_and_decodes_an_image()
    {
        string root = ImageFolderWithBadFiles();

        var (exit, output, error) = CliRunner.Run("datasets", "inspect", "--dataset", "image-folder", "--root", root, "--set", "decode_size=20");

        Assert.True(exit == 0, error);
        Assert.Contains("classes       2: cats, dogs", output);
        Assert.Contains("splits        train 4 (train)", output);
        Assert.Contains("unreadable    2 (left out)", output);
        Assert.Contains($"{Path.Combine(root, "cats", "empty.jpg")}: empty file (0 bytes)", output);
        Assert.Contains($"{Path.Combine(root, "dogs", "truncated.jpg")}: truncated", output);
        // Decoded through the catalog-loaded plugin, shrunk to short side 20: 40×30 → 27×20.
        Assert.Contains("first image   train[0]: 27×20×3, label 0 (cats)", output);
    }

    [Fact]
    public void With_bad_images_fail_the_error_is_one_line_and_exit_1()
    {
        string root = ImageFolderWithBadFiles();

        var (exit, output, error) = CliRunner.Run("datasets", "inspect", "--dataset", "image-folder", "--root", root, "--set", "bad_images=fail");

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        var line = Assert.Single(error.TrimEnd().Split('\n'));
        Assert.StartsWith($"error: 2 unreadable image files in {root}: {Path.Combine(root, "cats", "empty.jpg")} (empty file (0 bytes))", line);
    }

    /// <summary>ROOT/cats/ and ROOT/dogs/ with two good JPEGs each and, in dogs/, a 60000×60000 header-only PNG bomb.</summary>
    private static (string Root, string Bomb) ImageFolderWithABomb()
    {
        string root = CliRunner.TempDir();
        foreach (var cls in new[] { "cats", "dogs" })
        {
            Directory.CreateDirectory(Path.Combine(root, cls));
            for (int i = 0; i < 2; i++) File.WriteAllBytes(Path.Combine(root, cls, $"{cls}_{i}.jpg"), Jpeg);
        }
        string bomb = Path.Combine(root, "dogs", "bomb.png");
        File.WriteAllBytes(bomb, Scott.Lab.Tests.Shared.BombPng.Create());
        return (root, bomb);
    }

    // Before issue 15 these two killed the test host (SIGSEGV: the decoder's int-sized buffer wrapped and Skia wrote
    // 14.4 GB of rows past it); the bomb passed the open-time check, which read only its header and IEND.
    [Fact]
    public void Inspect_reports_a_decompression_bomb_as_unreadable_with_its_size()
    {
        var (root, bomb) = ImageFolderWithABomb();

        var (exit, output, error) = CliRunner.Run("datasets", "inspect", "--dataset", "image-folder", "--root", root);

        Assert.True(exit == 0, error);
        Assert.Contains("unreadable    1 (left out)", output);
        Assert.Contains($"{bomb}: the image is 60000×60000 pixels (3600 Mpx), over the limit of 16384 pixels a side and 64 Mpx; "
            + "downscale it, or raise dataset.options.max_image_side / max_image_megapixels\n", output.Replace("\r", ""));

        (exit, output, error) = CliRunner.Run("datasets", "inspect", "--dataset", "image-folder", "--root", root, "--set", "bad_images=fail");
        Assert.Equal(1, exit);
        Assert.Equal("", output);
        var line = Assert.Single(error.TrimEnd().Split('\n'));
        Assert.StartsWith($"error: 1 unreadable image file in {root}: {bomb} (the image is 60000×60000 pixels", line);

        // The limits are dataset options: 30 pixels a side leaves out the 40×30 JPEGs too.
        (exit, _, error) = CliRunner.Run("datasets", "inspect", "--dataset", "image-folder", "--root", root, "--set", "max_image_side=30");
        Assert.Equal(1, exit);
        Assert.Contains("all 5 image files are unreadable", error);
        Assert.Contains("the image is 40×30 pixels (0.01 Mpx), over the limit of 30 pixels a side and 64 Mpx", error);
    }

    [Fact]
    public void Training_leaves_out_a_decompression_bomb()
    {
        var (root, _) = ImageFolderWithABomb();
        string runDir = CliRunner.TempDir();

        var (exit, output, error) = CliRunner.Run("train", CliRunner.Config("configs/ssl/tiny.yaml"), "--run-dir", runDir,
            "--set", "dataset.id=image-folder", "--set", $"dataset.options.root={root}",
            "--set", "trainer.batch_size=2", "--set", "trainer.steps=2", "--set", "model.image_size=28");

        Assert.True(exit == 0, error);
        Assert.Contains("done: 2/2 steps", output);
        Assert.Contains("4 images", error);
    }

    [Fact]
    public void A_missing_root_is_one_line_naming_the_path_and_layout()
    {
        string root = Path.Combine(CliRunner.TempDir(), "flowers");

        var (exit, _, error) = CliRunner.Run("datasets", "inspect", "--dataset", "flowers-102", "--root", root);

        Assert.Equal(1, exit);
        Assert.StartsWith($"error: Oxford Flowers-102: folder not found: {root}. Expected jpg/image_00001.jpg", error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains("setid.mat", error);
    }

    [Fact]
    public void Unknown_datasets_and_options_are_config_errors()
    {
        var (exit, _, error) = CliRunner.Run("datasets", "inspect", "--dataset", "cifar-10");
        Assert.Equal(2, exit);
        Assert.StartsWith("error: --dataset: unknown dataset 'cifar-10'. Available: ", error);
        Assert.Contains("flowers-102, image-folder, imagenet-100, oxford-pets", error);

        (exit, _, error) = CliRunner.Run("datasets", "inspect", "--dataset", "oxford-pets", "--root", ".", "--set", "bad_images=maybe");
        Assert.Equal(2, exit);
        Assert.Contains("dataset.options.bad_images: must be one of skip, fail, got 'maybe'", error);
    }

    [Fact]
    public void Datasets_that_are_not_image_files_inspect_too()
    {
        var (exit, output, error) = CliRunner.Run("datasets", "inspect", "--dataset", "fashion-mnist-sample");

        Assert.True(exit == 0, error);
        Assert.Contains("splits        train 1000 (train), test 200 (test)", output);
        Assert.Contains("first image   train[0]: 28×28×1", output);
        Assert.DoesNotContain("unreadable", output);
    }
}
