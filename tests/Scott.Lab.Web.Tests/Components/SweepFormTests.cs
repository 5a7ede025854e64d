using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Scott.Lab.Engine.Models;
using Scott.Lab.Web.Components.Forms;
using Scott.Lab.Web.Features.Experiments;

namespace Scott.Lab.Web.Tests.Components;

/// <summary>The New experiment form's sweeps (a toggle on number and choice fields) and the core sections' labels.</summary>
public sealed class SweepFormTests : PortalComponentTest
{
    public SweepFormTests()
    {
        CopyPreset("ssl/tiny.yaml");
        RenderPopoverProvider();
    }

    private async Task<IRenderedComponent<NewExperiment>> RenderWithTiny()
    {
        var cut = Render<NewExperiment>();
        await cut.Find("[data-testid=preset-tiny]").ClickAsync(new MouseEventArgs());
        cut.Find("input[data-testid=run-name]").Input("grid");
        return cut;
    }

    [Fact]
    public async Task AGridOfACoreAndAPluginFieldLaunchesOneRunPerCombinationAsOneSweepAndOpensItsPage()
    {
        var cut = await RenderWithTiny();
        Assert.Empty(cut.FindAll("[data-testid=sweep-panel]"));
        Assert.Single(cut.FindAll("[data-testid='sweep-toggle-trainer.device']")); // device is a choice: it has a toggle...
        Assert.Empty(cut.FindAll("[data-testid='sweep-toggle-augment.crop_scale']")); // ...a list field has none

        await cut.Find("[data-testid='sweep-toggle-optimizer.lr']").ClickAsync(new MouseEventArgs());
        // One value is not a sweep yet: the form says so and Launch waits.
        cut.WaitForAssertion(() => Assert.Contains("two or more", cut.Find("[data-testid='sweep-error-optimizer.lr']").TextContent));
        Assert.True(cut.Find("[data-testid=launch]").HasAttribute("disabled"));
        cut.Find("input[data-testid='sweep-values-optimizer.lr']").Input("0.001, 0.003");
        await cut.Find("[data-testid='sweep-toggle-objective.options.predictor_depth']").ClickAsync(new MouseEventArgs());
        cut.Find("input[data-testid='sweep-values-objective.options.predictor_depth']").Input("1, 2, 3");

        cut.WaitForAssertion(() => Assert.Contains("6 runs, named grid-1 to grid-6", cut.Find("[data-testid=sweep-summary]").TextContent));
        Assert.Contains("Launch sweep (6 runs)", cut.Find("[data-testid=launch]").TextContent);
        await cut.Find("[data-testid=launch]").ClickAsync(new MouseEventArgs());

        cut.WaitForAssertion(() => Assert.Equal(6, Launcher.Launched.Count));
        Assert.Equal(["0.001/1", "0.001/2", "0.001/3", "0.003/1", "0.003/2", "0.003/3"],
            Launcher.Launched.Select(s => $"{s["optimizer"]!["lr"]}/{s["objective"]!["options"]!["predictor_depth"]}"));
        Assert.Equal(["grid-1", "grid-2", "grid-3", "grid-4", "grid-5", "grid-6"], Launcher.Launched.Select(s => s["name"]!.GetValue<string>()));
        var sweep = Assert.Single(Store.ListSweeps());
        Assert.All(Launcher.LaunchedWith, o => Assert.Equal(sweep.Id, o!.SweepId));
        Assert.Equal(6, Store.RunsOfSweep(sweep.Id).Count);
        cut.WaitForAssertion(() => Assert.EndsWith($"/sweeps/{sweep.Id}", Services.GetRequiredService<NavigationManager>().Uri));
    }

    [Fact]
    public async Task ARandomSearchOverALogRangeShowsItsTrialsAndAGridTooLargeIsRefusedBeforeLaunch()
    {
        var cut = await RenderWithTiny();
        await cut.Find("[data-testid='sweep-toggle-optimizer.lr']").ClickAsync(new MouseEventArgs());
        var range = cut.FindComponents<MudBlazor.MudSwitch<bool>>().Single(s => s.Instance.Label == "Range");
        await cut.InvokeAsync(() => range.Instance.ValueChanged.InvokeAsync(true));
        cut.Find("input[data-testid='sweep-min-optimizer.lr']").Input("0.0001");
        cut.Find("input[data-testid='sweep-max-optimizer.lr']").Input("0.01");
        cut.Find("input[data-testid='sweep-steps-optimizer.lr']").Input("70");
        cut.WaitForAssertion(() => Assert.Contains("steps must be from 2 to 64", cut.Find("[data-testid='sweep-error-optimizer.lr']").TextContent));
        Assert.True(cut.Find("[data-testid=launch]").HasAttribute("disabled"));

        var mode = cut.FindComponents<MudBlazor.MudSelect<Scott.Lab.Runs.Sweeps.SweepMode>>().Single();
        await cut.InvokeAsync(() => mode.Instance.ValueChanged.InvokeAsync(Scott.Lab.Runs.Sweeps.SweepMode.Random));
        cut.Find("input[data-testid=sweep-trials]").Input("5");
        cut.WaitForAssertion(() => Assert.Contains("5 runs", cut.Find("[data-testid=sweep-summary]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid='sweep-error-optimizer.lr']")); // steps belongs to grids only
        await cut.Find("[data-testid=launch]").ClickAsync(new MouseEventArgs());
        cut.WaitForAssertion(() => Assert.Equal(5, Launcher.Launched.Count));
        Assert.All(Launcher.Launched, s => Assert.InRange(s["optimizer"]!["lr"]!.GetValue<double>(), 1e-4, 1e-2));
        var sweep = Assert.Single(Store.ListSweeps());
        Assert.Equal(0, sweep.Seed);
    }

    [Fact]
    public void TheCoreSectionsShowReadableLabelsWithDescriptionsAndKeepTheirKeys()
    {
        var cut = Render<OptionsForm>(p => p.Add(f => f.Model, new OptionsFormModel(typeof(ModelOptions), null, "model")));
        var imageSize = cut.Find("[data-testid='field-model.image_size']");
        Assert.Contains("Image size (px)", imageSize.TextContent);
        Assert.Contains("Input image size in pixels", imageSize.TextContent);
        Assert.Equal("model.image_size", imageSize.QuerySelector("input")!.GetAttribute("name"));
        foreach (var type in new[] { typeof(ModelOptions), typeof(Scott.Lab.Engine.Config.OptimizerOptions), typeof(Scott.Lab.Engine.Config.TrainerOptions), typeof(Scott.Lab.Engine.Data.AugmentOptions) })
            Assert.All(OptionsSchema.For(type).Fields, f =>
            {
                Assert.NotEqual(f.Key, f.Label); // a label, not the raw key
                Assert.False(string.IsNullOrWhiteSpace(f.Description), $"{type.Name}.{f.Key} has no description");
            });
    }
}
