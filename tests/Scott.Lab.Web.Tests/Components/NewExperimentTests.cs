using Microsoft.AspNetCore.Components.Web;
using System.Text.Json.Nodes;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Scott.Lab.Engine.Config;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Compare;
using Scott.Lab.Web.Features.Maps;
using Scott.Lab.Web.Features.Plugins;
using Scott.Lab.Web.Features.Runs;
using Scott.Lab.Web.Features.Sessions;
using Scott.Lab.Web.Features.Experiments;
using Scott.Lab.Web.Features.Dashboard;

namespace Scott.Lab.Web.Tests.Components;

public sealed class NewExperimentTests : PortalComponentTest
{
    public NewExperimentTests()
    {
        CopyPreset("ssl/tiny.yaml");
        WritePreset("ssl/broken.yaml", "dataset: [unclosed\n");
        RenderPopoverProvider();
    }

    private static string Field(string key) => $"[data-testid='field-{key}'] input";

    private async Task<IRenderedComponent<NewExperiment>> RenderWithTiny(string runName = "my-tiny")
    {
        var cut = Render<NewExperiment>();
        await cut.Find("[data-testid=preset-tiny]").ClickAsync(new MouseEventArgs());
        cut.Find("input[data-testid=run-name]").Input(runName);
        return cut;
    }

    [Fact]
    public async Task APresetLaunchesItsSpecAndOpensTheRun()
    {
        var cut = await RenderWithTiny();
        cut.Find(Field("optimizer.lr")).Input("0.002");
        Assert.False(cut.Find("[data-testid=launch]").HasAttribute("disabled"));

        await cut.Find("[data-testid=launch]").ClickAsync(new MouseEventArgs());
        cut.WaitForAssertion(() => Assert.Single(Launcher.Launched));

        var spec = Launcher.Launched[0];
        Assert.Equal("my-tiny", spec["name"]!.GetValue<string>());
        Assert.Equal("fashion-mnist-sample", spec["dataset"]!["id"]!.GetValue<string>());
        Assert.Equal("all", spec["dataset"]!["options"]!["pretrain_on"]!.GetValue<string>());
        Assert.Equal("scott", spec["tokenizer"]!["id"]!.GetValue<string>());
        Assert.Equal(1, spec["tokenizer"]!["options"]!["stages"]!.GetValue<long>());
        Assert.Equal(5, spec["tokenizer"]!["options"]!["kernel_size"]!.GetValue<long>());
        Assert.Equal(16, spec["tokenizer"]!["options"]!["hidden_channels"]!.GetValue<long>());
        Assert.Equal("mim-jepa", spec["objective"]!["id"]!.GetValue<string>());
        Assert.Equal(1, spec["objective"]!["options"]!["predictor_depth"]!.GetValue<long>());
        Assert.Equal("blockwise", spec["objective"]!["options"]!["mask_mode"]!.GetValue<string>());
        Assert.Equal(28, spec["model"]!["image_size"]!.GetValue<long>());
        Assert.Equal(32, spec["model"]!["width"]!.GetValue<long>());
        Assert.Equal(0.002, spec["optimizer"]!["lr"]!.GetValue<double>());
        Assert.Equal(60, spec["trainer"]!["steps"]!.GetValue<long>());
        Assert.Equal(30, spec["trainer"]!["checkpoint_every"]!.GetValue<long>());
        Assert.Equal(new[] { 0.2, 1.0 }, spec["augment"]!["crop_scale"]!.AsArray().Select(n => n!.GetValue<double>()));

        // What the page sends is a config the CLI accepts.
        var config = RunSpecBinder.BindWithoutPlugins(spec);
        Assert.Equal(64, config.Trainer.BatchSize);

        var run = Assert.Single(Store.List());
        cut.WaitForAssertion(() => Assert.EndsWith($"/runs/{run.Id}", Services.GetRequiredService<NavigationManager>().Uri));
    }

    [Fact]
    public async Task WithoutSlurmThereIsNoExecutorSelectAndTheLaunchNamesNoExecutor()
    {
        var cut = await RenderWithTiny();
        Assert.Empty(cut.FindAll("[data-testid=executor]"));
        await cut.Find("[data-testid=launch]").ClickAsync(new MouseEventArgs());
        cut.WaitForAssertion(() => Assert.Single(Launcher.LaunchedWith));
        Assert.Null(Launcher.LaunchedWith[0]); // the portal's default executor
    }

    [Fact]
    public async Task WithSlurmConfiguredTheExecutorSelectIsShownAndItsChoiceGoesWithTheLaunch()
    {
        // ScottLab:Executor=slurm (the settings object the page reads when it renders).
        Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Scott.Lab.Web.Hosting.PortalOptions>>().Value.Executor = "slurm";
        var cut = await RenderWithTiny("on-slurm");
        Assert.NotEmpty(cut.FindAll("[data-testid=executor]"));
        await cut.Find("[data-testid=launch]").ClickAsync(new MouseEventArgs());
        cut.WaitForAssertion(() => Assert.Single(Launcher.LaunchedWith));
        Assert.Equal("slurm", Launcher.LaunchedWith[0]?.Executor);
    }

    [Fact]
    public async Task TheLaunchersFieldErrorsAreShownAndNothingNavigates()
    {
        Launcher.Refuse = [new SpecProblem("optimizer.lr", "must be below 0.01 for this dataset, got 0.001"), new SpecProblem("dataset.id", "unknown dataset 'nope'")];
        var cut = await RenderWithTiny();
        string before = Services.GetRequiredService<NavigationManager>().Uri;

        await cut.Find("[data-testid=launch]").ClickAsync(new MouseEventArgs());

        cut.WaitForAssertion(() => Assert.Contains("optimizer.lr: must be below 0.01 for this dataset", cut.Find("[data-testid=launch-errors]").TextContent));
        Assert.Contains("dataset.id: unknown dataset 'nope'", cut.Find("[data-testid=launch-errors]").TextContent);
        Assert.Contains("must be below 0.01 for this dataset", cut.Find("[data-testid='field-optimizer.lr']").TextContent);
        Assert.Contains("unknown dataset 'nope'", cut.Find("[data-testid=picker-dataset]").TextContent);
        Assert.Equal(before, Services.GetRequiredService<NavigationManager>().Uri);
        Assert.Empty(Store.List());
    }

    [Fact]
    public async Task LaunchIsDisabledWhileAFormIsInvalid()
    {
        var cut = await RenderWithTiny();
        cut.Find(Field("model.heads")).Input("3");

        // The input is handled asynchronously: on a busy machine the test waits for the state it leads to.
        cut.WaitForAssertion(() =>
        {
            Assert.True(cut.Find("[data-testid=launch]").HasAttribute("disabled"));
            Assert.Contains("model.heads: width 32 is not divisible by heads 3.", cut.Find("[data-testid=launch-blockers]").TextContent);
            Assert.Contains("mud-alert-text-error", cut.Find("[data-testid=launch-blockers]").ClassName); // styled as an error, not a hint
        }, TimeSpan.FromSeconds(30));

        cut.Find(Field("model.heads")).Input("2");
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=launch]").HasAttribute("disabled")), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void WithoutAPresetLaunchWaitsForThePlugins()
    {
        var cut = Render<NewExperiment>();
        Assert.True(cut.Find("[data-testid=launch]").HasAttribute("disabled"));
        Assert.Contains("Pick a dataset.", cut.Find("[data-testid=launch-blockers]").TextContent);
        Assert.Contains("Pick an objective.", cut.Find("[data-testid=launch-blockers]").TextContent);
        Assert.Contains("mud-alert-text-info", cut.Find("[data-testid=launch-blockers]").ClassName); // nothing wrong yet: a hint
    }

    [Fact]
    public async Task ABrokenPresetShowsItsErrorAndTheOthersStillWork()
    {
        var cut = Render<NewExperiment>();
        await cut.Find("[data-testid=preset-broken]").ClickAsync(new MouseEventArgs());
        Assert.Contains("invalid YAML", cut.Find("[data-testid=preset-error]").TextContent);

        await cut.Find("[data-testid=preset-tiny]").ClickAsync(new MouseEventArgs());
        Assert.Empty(cut.FindAll("[data-testid=preset-error]"));
        Assert.Equal("1", cut.Find(Field("tokenizer.options.stages")).GetAttribute("value"));
    }

    [Fact]
    public async Task APresetNamingAnUnknownPluginSaysWhichAreAvailable()
    {
        WritePreset("ssl/vit.yaml", "dataset: { id: fashion-mnist-sample }\ntokenizer: { id: vit }\nobjective: { id: mim-jepa }\n");
        var cut = Render<NewExperiment>();
        await cut.Find("[data-testid=preset-vit]").ClickAsync(new MouseEventArgs());

        Assert.Contains("tokenizer.id: unknown tokenizer 'vit'. Available: patch, scott", cut.Find("[data-testid=picker-tokenizer]").TextContent);
        Assert.True(cut.Find("[data-testid=launch]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task PickingAnObjectiveLoadsItsAugmentationRecipeWhereThePresetSetsNone()
    {
        var cut = await RenderWithTiny(); // mim-jepa, no augment keys: the host defaults
        Assert.Equal("0.6", cut.Find(Field("augment.color_p")).GetAttribute("value"));
        var picker = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Objective");

        await cut.InvokeAsync(() => picker.Instance.ValueChanged.InvokeAsync("mae")); // crop and flip only
        Assert.Equal("0", cut.Find(Field("augment.color_p")).GetAttribute("value"));
        await cut.InvokeAsync(() => picker.Instance.ValueChanged.InvokeAsync("simclr")); // strong colour on every view
        Assert.Equal("1", cut.Find(Field("augment.color_p")).GetAttribute("value"));
        Assert.Equal("0.2", cut.Find(Field("augment.gray_p")).GetAttribute("value"));

        // A preset's own augment keys win over the recipe.
        WritePreset("ssl/mae-soft.yaml", "dataset: { id: fashion-mnist-sample }\ntokenizer: { id: patch }\nobjective: { id: mae }\naugment: { color_p: 0.3 }\n");
        var page = Render<NewExperiment>(); // presets are listed when the page opens
        await page.Find("[data-testid=preset-mae-soft]").ClickAsync(new MouseEventArgs());
        Assert.Equal("0.3", page.Find(Field("augment.color_p")).GetAttribute("value"));
    }

    [Fact]
    public async Task SwitchingThePluginResetsItsOptionsToItsDefaults()
    {
        var cut = await RenderWithTiny();
        Assert.Equal("1", cut.Find(Field("tokenizer.options.stages")).GetAttribute("value"));
        var picker = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Tokenizer");

        await cut.InvokeAsync(() => picker.Instance.ValueChanged.InvokeAsync("patch"));
        Assert.Empty(cut.FindAll(Field("tokenizer.options.stages")));
        await cut.InvokeAsync(() => picker.Instance.ValueChanged.InvokeAsync("scott"));

        Assert.Equal("2", cut.Find(Field("tokenizer.options.stages")).GetAttribute("value"));
        Assert.Equal("7", cut.Find(Field("tokenizer.options.kernel_size")).GetAttribute("value"));
    }

    [Fact]
    public void CloneStartsFromAStoredRunsConfig()
    {
        var tree = ConfigLoader.LoadTree(Path.Combine(Root, "configs/ssl/tiny.yaml"));
        tree["optimizer"]!["lr"] = 0.0042;
        var run = Store.Create(new RunRecord { Name = "original", Spec = tree });

        Services.GetRequiredService<NavigationManager>().NavigateTo($"/experiments/new?clone={run.Id}");
        var cut = Render<NewExperiment>();

        Assert.Contains("Cloned from run original", cut.Find("[data-testid=spec-source]").TextContent);
        Assert.Equal("0.0042", cut.Find(Field("optimizer.lr")).GetAttribute("value"));
        Assert.Equal("original-copy", cut.Find("input[data-testid=run-name]").GetAttribute("value"));
        Assert.False(cut.Find("[data-testid=launch]").HasAttribute("disabled"));
    }

    [Fact]
    public void CloningAnUnknownRunSaysSo()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/experiments/new?clone=nope");
        var cut = Render<NewExperiment>();
        Assert.Contains("No run 'nope' to clone", cut.Find("[data-testid=preset-error]").TextContent);
    }
}

public sealed class NewExperimentBeyondLoopbackTests() : PortalComponentTest("http://0.0.0.0:5080")
{
    protected override string? AdminKey => "sesame";

    [Fact]
    public async Task LaunchNeedsTheAdminKeyWhenThePortalListensBeyondLoopback()
    {
        CopyPreset("ssl/tiny.yaml");
        RenderPopoverProvider();
        var cut = Render<NewExperiment>();
        await cut.Find("[data-testid=preset-tiny]").ClickAsync(new MouseEventArgs());

        await cut.Find("[data-testid=launch]").ClickAsync(new MouseEventArgs());
        cut.WaitForAssertion(() => Assert.Contains("admin key", cut.Find("[data-testid=launch-errors]").TextContent));
        Assert.Empty(Launcher.Launched);

        cut.Find("input[data-testid=admin-key]").Input("sesame");
        await cut.Find("[data-testid=launch]").ClickAsync(new MouseEventArgs());
        cut.WaitForAssertion(() => Assert.Single(Launcher.Launched));
    }
}
