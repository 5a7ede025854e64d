using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Plugins;

namespace Scott.Lab.Cli.Tests;

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
}
