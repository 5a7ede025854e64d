using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Evaluation;

namespace Scott.Lab.Engine.Tests.Evaluation;

public class AccuracyCurveTests
{
    /// <summary>The curve's lines by name, so that equal curves compare equal point by point.</summary>
    private static Dictionary<string, IReadOnlyList<(long ImagesSeen, double Top1)>> ByName(AccuracyCurve curve) =>
        curve.Lines().ToDictionary(l => CurveResult.LineName(l.Protocol, l.LabelsPerClass), l => l.Points);

    private static readonly string[] Seven = Enumerable.Range(1, 7).Select(i => $"step-{i * 100:D8}").ToArray();

    [Theory]
    [InlineData("all", new[] { 1, 2, 3, 4, 5, 6, 7 })]
    [InlineData("last", new[] { 7 })]
    [InlineData("every:3", new[] { 3, 6, 7 })] // every third, and always the last
    [InlineData("every:7", new[] { 7 })]
    [InlineData("EVERY:2", new[] { 2, 4, 6, 7 })]
    [InlineData("every:10", new[] { 7 })]
    public void SelectionPicksCheckpointsInTrainingOrder(string selection, int[] expected)
    {
        var picked = CheckpointSelection.Parse(selection).Pick(Seven);
        Assert.Equal(expected.Select(i => Seven[i - 1]), picked);
    }

    [Theory]
    [InlineData("every")]
    [InlineData("every:0")]
    [InlineData("every:-2")]
    [InlineData("first")]
    public void ABadSelectionNamesTheSyntax(string selection)
    {
        var error = Assert.Throws<ConfigException>(() => CheckpointSelection.Parse(selection));
        Assert.Contains("all | last | every:N", error.Message);
        Assert.Contains($"'{selection}'", error.Message);
    }

    [Fact]
    public void NoCheckpointsPickNothing() => Assert.Empty(CheckpointSelection.Parse("all").Pick([]));

    private static CurveResult Knn(double top1, int? perClass = null) =>
        new() { Protocol = "knn", LabelsPerClass = perClass, Top1 = top1, Selected = "knn k=20" };

    [Fact]
    public void MergedPointsStayInStepOrderAndAResultReplacesItsOlderSelf()
    {
        var curve = new AccuracyCurve();
        curve.Merge("step-00000300", 300, 300 * 64, [Knn(0.5)]);
        curve.Merge("step-00000100", 100, 100 * 64, [Knn(0.3), Knn(0.2, 10)]);
        curve.Merge("step-00000300", 300, 300 * 64, [Knn(0.55)]);

        Assert.Equal(new long[] { 100, 300 }, curve.Points.Select(p => p.Step));
        Assert.Equal(0.55, Assert.Single(curve.Points[1].Results).Top1);
        Assert.True(curve.Has("step-00000100", [("knn", null), ("knn", 10)]));
        Assert.False(curve.Has("step-00000300", [("knn", null), ("knn", 10)]));
        Assert.False(curve.Has("step-00000200", [("knn", null)]));

        var lines = ByName(curve);
        Assert.Equal([(100 * 64L, 0.3), (300 * 64L, 0.55)], lines["knn · all labels"]);
        Assert.Equal([(100 * 64L, 0.2)], lines["knn · 10/class"]);
    }

    [Fact]
    public void TheFileRoundTripsAndADamagedOneIsNamed()
    {
        string run = Path.Combine(Path.GetTempPath(), "curve-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.Empty(AccuracyCurve.Read(run).Points);
            var curve = new AccuracyCurve();
            curve.Merge("step-00000100", 100, 6400, [Knn(0.3), Knn(0.2, 10)]);
            curve.Write(run);
            var back = AccuracyCurve.Read(run);
            Assert.Equal(6400, Assert.Single(back.Points).ImagesSeen);
            Assert.Equal(ByName(curve), ByName(back));
            Assert.False(File.Exists(AccuracyCurve.PathIn(run) + ".tmp"));

            File.WriteAllText(AccuracyCurve.PathIn(run), "{ not json");
            var error = Assert.Throws<InvalidDataException>(() => AccuracyCurve.Read(run));
            Assert.Contains("curve.json is not a curve file", error.Message);
        }
        finally
        {
            if (Directory.Exists(run)) Directory.Delete(run, true);
        }
    }
}
