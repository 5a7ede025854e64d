using System.Security.Cryptography;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Plugins;

namespace Scott.Lab.Cli.Tests;

/// <summary><c>scott-lab plugins list</c>, <c>plugins probe FILE</c> (what the portal runs in a child process) and the quarantine in the list.</summary>
public class PluginsCommandTests
{
    [Fact]
    public void PluginsListShowsKindIdVersionAndStatus()
    {
        var (exit, output, error) = CliRunner.Run("plugins", "list");
        Assert.True(exit == 0, error);
        Assert.Contains("tokenizer", output);
        Assert.Matches(@"tokenizer\s+scott\s+\d+\.\d+\.\d+\s+loaded", output);
        Assert.Matches(@"objective\s+mim-jepa\s+\d+\.\d+\.\d+\s+loaded", output);
        Assert.Matches(@"dataset\s+fashion-mnist-sample\s+\d+\.\d+\.\d+\s+loaded", output);
        // An objective's augmentation recipe, as --set would write it; none for the host's own recipe (MIM-JEPA).
        Assert.Matches(@"objective\s+mae\s[^\n]*\n[^\n]*\n\s+augment recipe \(where a config sets none\): crop_scale=\[0.2, 1\], color_p=0\n", output.ReplaceLineEndings("\n"));
        Assert.DoesNotMatch(@"objective\s+mim-jepa\s[^\n]*\n[^\n]*\n\s+augment recipe", output.ReplaceLineEndings("\n"));
    }

    private static string TokenizersDll =>
        Directory.GetFiles(PluginCatalog.BuiltInFolder, "Scott.Lab.Tokenizers.dll", SearchOption.AllDirectories).First();

    [Fact]
    public void Probe_loads_one_file_and_ends_with_the_marker_the_portal_waits_for()
    {
        var (exit, output, error) = CliRunner.Run("plugins", "probe", TokenizersDll);

        Assert.True(exit == 0, error);
        Assert.Contains("loaded tokenizer scott", output);
        var last = output.TrimEnd().Split('\n')[^1];
        Assert.StartsWith(PluginProber.CompleteMarker + " ", last);
        Assert.EndsWith("loaded, 0 failed", last);

        (exit, _, error) = CliRunner.Run("plugins", "probe", Path.Combine(CliRunner.TempDir(), "missing.dll"));
        Assert.Equal(1, exit);
        Assert.StartsWith("error: plugin file not found: ", error);
    }

    [Fact]
    public void List_shows_a_file_the_portal_quarantined_and_does_not_load_it()
    {
        string data = CliRunner.TempDir(), folder = CliRunner.TempDir();
        string copy = Path.Combine(folder, "Quarantined.dll");
        File.Copy(TokenizersDll, copy);
        string sha256 = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(copy))).ToLowerInvariant();
        new PluginQuarantine(data).Record(new PluginProbeRecord(sha256, copy, false, "quarantined: its probe ended with exit code 7", DateTime.UtcNow));

        var (_, output, _) = CliRunner.Run("plugins", "list", "--data-dir", data, "--plugins", folder);

        var line = Assert.Single(output.Split('\n'), l => l.Contains(copy));
        Assert.Contains("quarantined", line);
        Assert.Contains("error: quarantined: its probe ended with exit code 7", output);
    }
}
