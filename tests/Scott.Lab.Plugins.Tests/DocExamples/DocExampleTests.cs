using System.Text.RegularExpressions;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Masking;
using Scott.Lab.Abstractions.Plugins;
using TorchSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Plugins.Tests.DocExamples;

/// <summary>
/// The examples that docs/plugins.md quotes: each does what the docs say the host relies on, loads as a third-party
/// plugin DLL built from its file alone, and the docs quote the file as it is.
/// </summary>
public class DocExampleTests
{
    private static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Scott.Lab.sln"))) return dir.FullName;
            throw new InvalidOperationException("Scott.Lab.sln not found above " + AppContext.BaseDirectory);
        }
    }

    private static string ExampleFile(string name) => Path.Combine(RepoRoot, "tests", "Scott.Lab.Plugins.Tests", "DocExamples", name);

    [Fact]
    public void TheDatasetExampleDeliversWhatTheHostReads()
    {
        using var dataset = new SolidColourDataset().Open(new SolidColourOptions { ImagesPerClass = 8, ImageSize = 16 });
        Assert.Equal(3, dataset.Channels);
        Assert.Equal((16, 16), dataset.FixedSize);
        Assert.Equal(["red", "green", "blue"], dataset.ClassNames);
        Assert.Equal([SplitRole.Train, SplitRole.Test], dataset.Splits.Select(s => s.Role));
        Assert.Same(dataset.Splits[0], Assert.Single(dataset.PretrainingSplits));
        Assert.Equal(24, dataset.Splits[0].Images.Count);
        Assert.Equal(6, dataset.Splits[1].Images.Count);

        var all = new List<float>[3] { [], [], [] };
        foreach (var split in dataset.Splits)
        {
            var images = split.Images;
            // The same image on every read, from any thread: the loader reads ahead in parallel.
            var inParallel = new byte[images.Count][];
            Parallel.For(0, images.Count, i => inParallel[i] = images.Read(i).Pixels);
            for (int i = 0; i < images.Count; i++)
            {
                var sample = images.Read(i);
                Assert.Equal((16, 16, 3), (sample.Width, sample.Height, sample.Channels));
                Assert.Equal(16 * 16 * 3, sample.Pixels.Length);
                Assert.Equal(images.LabelAt(i), sample.Label);
                Assert.InRange(sample.Label, 0, dataset.ClassNames.Count - 1);
                Assert.Equal(inParallel[i], sample.Pixels);
                for (int p = 0; p < sample.Pixels.Length; p++) all[p % 3].Add(sample.Pixels[p] / 255f);
            }
        }
        // Mean and Std describe the pixels in [0, 1] (the host normalises with them).
        for (int c = 0; c < 3; c++)
        {
            double mean = all[c].Average(), std = Math.Sqrt(all[c].Average(v => (v - mean) * (v - mean)));
            Assert.InRange(dataset.Mean[c], mean - 0.05, mean + 0.05);
            Assert.InRange(dataset.Std[c], std - 0.05, std + 0.05);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.Splits[0].Images.Read(24));
    }

    [Fact]
    public void TheTokenizerExampleGivesItsGridAndVisibleTokensDoNotDependOnMaskedPixels()
    {
        torch.manual_seed(3);
        using var tokenizer = new PixelPatchTokenizer().Create(new PixelPatchOptions { PatchSize = 8 }, new TokenizerContext(ImageSize: 32, InChannels: 3, EmbedDim: 16));
        Assert.Equal((4, 4, 16), (tokenizer.GridHeight, tokenizer.GridWidth, tokenizer.EmbedDim));

        using var scope = NewDisposeScope();
        var images = randn(2, 3, 32, 32);
        var tokens = tokenizer.forward(images, null);
        Assert.Equal([2L, 16, 16], tokens.shape);

        // A keep-mask as the host makes them: (B, N) floats, 1 = visible.
        var keep = new TokenMaskGenerator(4, 4, 0.5, MaskMode.Blockwise, seed: 5).Next(2);
        var masked = tokenizer.forward(images, keep);
        Assert.Equal([2L, 16, 16], masked.shape);

        // Change every pixel that lies in a masked token's patch: the visible tokens must not change.
        var pixelKeep = nn.functional.interpolate(keep.reshape(2, 1, 4, 4), size: [32, 32], mode: InterpolationMode.Nearest);
        var otherImages = images * pixelKeep + randn(2, 3, 32, 32) * 10 * (1 - pixelKeep);
        var again = tokenizer.forward(otherImages, keep);
        var visible = keep.unsqueeze(-1);
        Assert.True((again * visible).allclose(masked * visible, rtol: 0, atol: 1e-6));
        // Visible tokens are what the tokenizer gives without a mask; masked tokens are exactly 0.
        Assert.True((masked * visible).allclose(tokens * visible, rtol: 1e-5, atol: 1e-6));
        Assert.Equal(0f, (masked * (1 - visible)).abs().max().item<float>());
    }

    [Fact]
    public void TheTokenizerExampleRefusesSizesItCannotTile()
    {
        var plugin = new PixelPatchTokenizer();
        var e = Assert.Throws<ArgumentException>(() => plugin.Create(new PixelPatchOptions { PatchSize = 8 }, new TokenizerContext(30, 3, 16)));
        Assert.Contains("multiple of 8", e.Message);
        Assert.Throws<ArgumentException>(() => plugin.Create(new PixelPatchOptions { PatchSize = 8 }, new TokenizerContext(8, 3, 16)));
    }

    [Fact]
    public void EachExampleFileBuildsAloneIntoAPluginTheCatalogLoads()
    {
        string folder = TestPlugins.TempFolder("doc-examples");
        TestPlugins.CompilePlugin(folder, "SolidColour", File.ReadAllText(ExampleFile("SolidColourDataset.cs")), TestPlugins.CurrentContract);
        TestPlugins.CompilePlugin(folder, "PixelPatch", File.ReadAllText(ExampleFile("PixelPatchTokenizer.cs")), TestPlugins.CurrentContract);

        var catalog = PluginCatalog.Load([folder]);
        Assert.All(catalog.Entries, e => Assert.True(e.Status == PluginStatus.Loaded, e.Error));
        var dataset = catalog.Resolve<IDatasetPlugin>("solid-colour", "dataset.id");
        var tokenizer = catalog.Resolve<ITokenizerPlugin>("pixel-patch", "tokenizer.id");
        Assert.StartsWith(folder, dataset.GetType().Assembly.Location);

        // Null options are the defaults (the host passes its bound options object, never null, but Typed accepts both).
        using var opened = dataset.Open(null);
        Assert.Equal(3 * 64, opened.Splits[0].Images.Count);
        using var module = tokenizer.Create(Activator.CreateInstance(tokenizer.OptionsType), new TokenizerContext(32, 3, 16));
        using var tokens = module.forward(torch.zeros(1, 3, 32, 32), null);
        Assert.Equal([1L, 16, 16], tokens.shape);
    }

    [Fact]
    public void TheDocsQuoteTheExampleFilesAsTheyAre()
    {
        string docs = File.ReadAllText(Path.Combine(RepoRoot, "docs", "plugins.md"));
        int checkedBlocks = 0;
        // A csharp block right after a line naming DocExamples/FILE.cs quotes that file; a "// ..." line marks a cut.
        foreach (Match m in Regex.Matches(docs, @"DocExamples/(\w+\.cs)[^\n]*\n+```csharp\n(.*?)```", RegexOptions.Singleline))
        {
            string file = File.ReadAllText(ExampleFile(m.Groups[1].Value)).ReplaceLineEndings("\n");
            foreach (var part in Regex.Split(m.Groups[2].Value, @"^\s*// \.\.\.[^\n]*\n", RegexOptions.Multiline).Where(p => p.Trim().Length > 0))
                Assert.True(file.Contains(part), $"docs/plugins.md quotes {m.Groups[1].Value}, but the file does not contain:\n{part}");
            checkedBlocks++;
        }
        Assert.True(checkedBlocks >= 2, $"expected quotes of both examples in docs/plugins.md, found {checkedBlocks}");
    }
}
