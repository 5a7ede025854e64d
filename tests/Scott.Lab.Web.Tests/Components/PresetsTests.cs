using Scott.Lab.Web.Features.Experiments;
using Scott.Lab.Engine.Config;
using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Tests.Components;

public sealed class PresetsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("scott-lab-presets-").FullName;

    [Fact]
    public void TheRepositorysPresetsAllLoadAndBind()
    {
        var presets = new Presets(RepositoryRoot.Find()).List();

        Assert.Contains(presets, p => p.Name == "tiny" && p.RelativePath == "configs/ssl/tiny.yaml");
        Assert.Contains(presets, p => p.Name == "supervised-tiny");
        Assert.Equal(presets.Count, presets.Select(p => p.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.StartsWith("configs/ssl/", presets[0].RelativePath);
        foreach (var preset in presets)
        {
            Assert.True(preset.Error is null, $"{preset.RelativePath}: {preset.Error}");
            RunSpecBinder.BindWithoutPlugins(preset.Tree!);
        }
        Assert.Contains("seconds", presets.Single(p => p.Name == "tiny").Description);
    }

    [Fact]
    public void ABrokenFileIsListedWithItsErrorAndClashingNamesGetTheirFolder()
    {
        Write("ssl/good.yaml", "dataset: { id: fashion-mnist-sample }\n");
        Write("ssl/broken.yaml", "dataset: [unclosed\n");
        Write("other/good.yaml", "dataset: { id: fashion-mnist }\n");

        var presets = new Presets(_root).List();

        Assert.Equal(["broken", "good", "other-good"], presets.Select(p => p.Name).Order());
        var broken = presets.Single(p => p.Name == "broken");
        Assert.Null(broken.Tree);
        Assert.Contains("invalid YAML", broken.Error);
        Assert.Equal("fashion-mnist", presets.Single(p => p.Name == "other-good").Tree!["dataset"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public void NoConfigsFolderMeansNoPresets() => Assert.Empty(new Presets(Path.Combine(_root, "missing")).List());

    private void Write(string relative, string text)
    {
        string path = Path.Combine(_root, "configs", relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
