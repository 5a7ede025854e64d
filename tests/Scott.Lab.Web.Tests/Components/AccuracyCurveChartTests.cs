using Bunit;
using Scott.Lab.Engine.Evaluation;
using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Runs;

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
