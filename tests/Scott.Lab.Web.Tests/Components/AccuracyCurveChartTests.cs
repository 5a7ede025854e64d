using Bunit;
using Scott.Lab.Engine.Evaluation;
using Scott.Lab.Runs;
using Scott.Lab.Web.Components.Charts;
using Scott.Lab.Web.Features.Runs;
using SymbolEnum = Plotly.Blazor.Traces.ScatterLib.MarkerLib.SymbolEnum;

namespace Scott.Lab.Web.Tests.Components;

/// <summary>Issue 17, item 3: the accuracy curve on the run page and its overlay on the compare page.</summary>
public sealed class AccuracyCurveChartTests : PortalComponentTest
{
    private static CurveResult Knn(double top1, int? perClass = null) => new() { Protocol = "knn", LabelsPerClass = perClass, Top1 = top1, Selected = "knn k=20" };

    private string RunFolder(string name)
    {
        string folder = Path.Combine(Root, "runs", name);
        Directory.CreateDirectory(folder);
        return folder;
    }

    [Fact]
    public void ACurveIsDrawnPerProtocolAndBudgetAndARunWithoutOneIsAFlatLineAtItsLatestEvaluation()
    {
        string ssl = RunFolder("ssl");
        var curve = new AccuracyCurve();
        curve.Merge("step-00000020", 20, 1280, [Knn(0.5), Knn(0.3, 10)]);
        curve.Merge("step-00000040", 40, 2560, [Knn(0.6), Knn(0.4, 10)]);
        curve.Write(ssl);
        string supervised = RunFolder("supervised");
        EvaluationRecord[] evaluations =
        [
            new() { RunId = "sup", Protocol = "knn", LabelsPerClass = 10, Top1 = 0.35, CreatedUtc = DateTime.UtcNow.AddMinutes(-5) },
            new() { RunId = "sup", Protocol = "knn", LabelsPerClass = 10, Top1 = 0.45, CreatedUtc = DateTime.UtcNow },
            new() { RunId = "sup", Protocol = "linear", Subject = "pixels", Top1 = 0.8, CreatedUtc = DateTime.UtcNow }, // a baseline, not the run
        ];

        var cut = Render<AccuracyCurveChart>(p => p.Add(c => c.Runs,
        [
            new AccuracyCurveChart.CurveRun("ssl", ssl, "#1f77b4", []),
            new AccuracyCurveChart.CurveRun("sup", supervised, "#d62728", evaluations),
        ]));

        // Two lines of two points for the curve, and one flat line (two ends) for the supervised run's latest knn@10.
        Assert.Equal("6", cut.Find("[data-testid=accuracy-curve-chart]").GetAttribute("data-points"));
        Assert.Contains("2 evaluated checkpoints", cut.Find("[data-testid=accuracy-curve-chart-caption]").TextContent);

        // Runs by colour and legend group, the protocol by marker, the label budget by dash (all labels solid).
        var series = cut.FindComponent<LineChart>().Instance.Series;
        Assert.Equal(["knn · all labels", "knn · 10/class", "knn · 10/class (final)"], series.Select(s => s.Name));
        Assert.Equal(["ssl", "ssl", "sup"], series.Select(s => s.Style!.Group));
        Assert.Equal(["#1f77b4", "#1f77b4", "#d62728"], series.Select(s => s.Color));
        Assert.Equal(["solid", "dash", "dash"], series.Select(s => s.Style!.Dash));
        Assert.All(series, s => Assert.Equal(SymbolEnum.Square, s.Style!.Marker));
    }

    [Fact]
    public void OneRunsLinesAreColouredByProtocolAndDashedByBudget()
    {
        string ssl = RunFolder("ssl");
        var curve = new AccuracyCurve();
        CurveResult Linear(double top1, int? perClass = null) => new() { Protocol = "linear", LabelsPerClass = perClass, Top1 = top1, Selected = "lr" };
        curve.Merge("step-00000020", 20, 1280, [Knn(0.5), Knn(0.3, 100), Knn(0.2, 10), Linear(0.55), Linear(0.35, 100)]);
        curve.Write(ssl);

        var cut = Render<AccuracyCurveChart>(p => p.Add(c => c.Runs, [new AccuracyCurveChart.CurveRun("ssl", ssl, "#1f77b4", [])]));

        var series = cut.FindComponent<LineChart>().Instance.Series;
        Assert.Equal(["knn · all labels", "knn · 100/class", "knn · 10/class", "linear · all labels", "linear · 100/class"], series.Select(s => s.Name));
        Assert.All(series, s => Assert.Null(s.Style!.Group));
        // The same protocol keeps its colour and marker across budgets; the two protocols differ in both.
        Assert.Single(series.Where(s => s.Name.StartsWith("knn", StringComparison.Ordinal)).Select(s => s.Color).Distinct());
        Assert.NotEqual(series[0].Color, series[3].Color);
        Assert.NotEqual(series[0].Style!.Marker, series[3].Style!.Marker);
        Assert.Equal(["solid", "dash", "dot", "solid", "dash"], series.Select(s => s.Style!.Dash));
    }

    [Fact]
    public void ARunWithoutACurveSaysHowToMakeOneAndADamagedFileIsNamed()
    {
        string folder = RunFolder("fresh");
        var empty = Render<AccuracyCurveChart>(p => p.Add(c => c.Runs, [new AccuracyCurveChart.CurveRun("fresh", folder, null, [])]));
        Assert.Contains("--checkpoints all", empty.Find("[data-testid=accuracy-curve-empty]").TextContent);
        Assert.Empty(empty.FindAll("[data-testid=accuracy-curve-chart]"));

        Directory.CreateDirectory(Path.Combine(folder, "eval"));
        File.WriteAllText(AccuracyCurve.PathIn(folder), "{ torn");
        var damaged = Render<AccuracyCurveChart>(p => p.Add(c => c.Runs, [new AccuracyCurveChart.CurveRun("fresh", folder, null, [])]));
        Assert.Contains("curve.json is not a curve file", damaged.Find("[data-testid=accuracy-curve-error]").TextContent);
    }
}
