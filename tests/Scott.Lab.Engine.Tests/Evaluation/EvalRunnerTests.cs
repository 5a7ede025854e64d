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

    /// <summary>The 2-hour baseline's last checkpoint, probed alone and inside an accuracy curve, gave two linear
    /// results (82.44 and 82.40): the heads drew their initial weights from whatever had used torch's generator before.</summary>
    [Fact]
    public void AProbeGivesTheSameResultHoweverTorchsGeneratorWasUsedBefore()
    {
        using var dataset = new LabelledFakeDataset(train: 2000, test: 400, classes: 10);
        var runner = new EvalRunner(dataset, null, imageSize: 2, CPU, null);
        var request = new EvalRequest([EvalProtocol.Linear], EvalSubject.Pixels, LabelsPerClass: 20, LinearEpochs: 5, MinSteps: 40);

        var first = runner.Run(request, checkpoint: null).Single();
        using (rand(1000)) { } // other work drew on the generator in between
        var second = runner.Run(request, checkpoint: null).Single();

        Assert.Equal(first.Selected, second.Selected);
        Assert.Equal(first.Validation, second.Validation);
        Assert.Equal(first.Test, second.Test);
        Assert.Equal(first.Candidates!, second.Candidates!); // every candidate's best epoch and validation score
    }
}
