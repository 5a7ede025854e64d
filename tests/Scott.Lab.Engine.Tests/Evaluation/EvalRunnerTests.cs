using Scott.Lab.Engine.Evaluation;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Tests.Evaluation;

public class EvalRunnerTests
{
    private static readonly EvalRequest PixelKnn = new([EvalProtocol.Knn], EvalSubject.Pixels);

    [Fact]
    public void SeveralLabelBudgetsShareOneExtractionAndScoreAsIfRunAlone()
    {
        using var dataset = new LabelledFakeDataset(train: 400, test: 60, classes: 4);
        var stages = new List<string>();
        var runner = new EvalRunner(dataset, null, imageSize: 2, CPU, p => { if (p.Done == p.Total) stages.Add(p.Stage); });

        var both = runner.Run(PixelKnn, [5, null], checkpoint: null);

        // The training pool (all labels), validation and test are each extracted once; the 5-per-class probe picks its images out of the pool.
        Assert.Equal(["pixels train", "pixels validation", "pixels test"], stages.Where(s => s.StartsWith("pixels", StringComparison.Ordinal)));
        Assert.Equal(["knn", "knn"], stages.Where(s => s == "knn")); // scoring, once per budget
        Assert.Equal([5, null], both.Select(r => r.LabelsPerClass));
        Assert.Equal(["knn-pixels-5pc", "knn-pixels"], both.Select(r => r.FileStem));
        Assert.Equal(20, both[0].SplitSizes["train"]);
        Assert.Equal(360, both[1].SplitSizes["train"]); // 400 less the carved 10% validation

        stages.Clear();
        var alone = runner.Run(PixelKnn with { LabelsPerClass = 5 }, checkpoint: null);
        Assert.Equal(["pixels validation", "pixels test", "pixels train (5/class)"], stages.Where(s => s.StartsWith("pixels", StringComparison.Ordinal))); // no 360-image pool for a small budget
        Assert.Equal(alone[0].Test, both[0].Test);
        Assert.Equal(alone[0].Validation, both[0].Validation);
        Assert.Equal(alone[0].SplitSizes, both[0].SplitSizes);
    }

    [Fact]
    public void NoBudgetIsAnError()
    {
        using var dataset = new LabelledFakeDataset(train: 40, test: 8, classes: 4);
        var e = Assert.Throws<ArgumentException>(() => new EvalRunner(dataset, null, 2, CPU, null).Run(PixelKnn, [], null));
        Assert.Contains("No label budget", e.Message);
    }
}
