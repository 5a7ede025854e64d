using Scott.Lab.Abstractions.Data;
using Scott.Lab.Engine.Evaluation;

namespace Scott.Lab.Engine.Tests.Evaluation;

public class LabelSplitsTests
{
    private static HashSet<int> Ids(IImageSource source) =>
        Enumerable.Range(0, source.Count).Select(i => LabelledFakeDataset.IdOf(source.Read(i))).ToHashSet();

    [Fact]
    public void CarvedValidationComesFromTrainingLabelsAndNeverOverlapsTrainOrTest()
    {
        using var dataset = new LabelledFakeDataset(train: 1000, test: 300, classes: 10);
        var splits = LabelSplits.For(dataset, labelsPerClass: null, seed: 3);

        var train = Ids(splits.Train);
        var validation = Ids(splits.Validation);
        var test = Ids(splits.Test);
        Assert.Equal(100, validation.Count); // 10% of 1000
        Assert.Equal(900, train.Count);
        Assert.Empty(validation.Intersect(test));
        Assert.Empty(validation.Intersect(train));
        Assert.All(validation, id => Assert.InRange(id, 0, 999)); // carved from the training split's images
        Assert.Equal(Enumerable.Range(1000, 300).ToHashSet(), test);
        // Stratified: 10 validation images per class.
        var perClass = Enumerable.Range(0, splits.Validation.Count).GroupBy(splits.Validation.LabelAt).Select(g => g.Count());
        Assert.All(perClass, n => Assert.Equal(10, n));
        Assert.Contains("seed 3", splits.ValidationOrigin);
    }

    [Fact]
    public void TheSplitIsDeterministicForASeedAndChangesWithIt()
    {
        using var dataset = new LabelledFakeDataset(train: 500, test: 50, classes: 5);
        var a = Ids(LabelSplits.For(dataset, null, seed: 1).Validation);
        var b = Ids(LabelSplits.For(dataset, null, seed: 1).Validation);
        var c = Ids(LabelSplits.For(dataset, null, seed: 2).Validation);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void ALabelBudgetTakesThatManyPerClassFromWhatTheValidationSplitLeaves()
    {
        using var dataset = new LabelledFakeDataset(train: 1000, test: 100, classes: 10);
        var full = LabelSplits.For(dataset, null, seed: 0);
        var budget = LabelSplits.For(dataset, labelsPerClass: 7, seed: 0);

        Assert.Equal(70, budget.Train.Count);
        Assert.All(Enumerable.Range(0, 70).GroupBy(budget.Train.LabelAt), g => Assert.Equal(7, g.Count()));
        Assert.Subset(Ids(full.Train), Ids(budget.Train));
        Assert.Equal(Ids(full.Validation), Ids(budget.Validation)); // selection data does not depend on the budget
        Assert.Equal(Ids(budget.Train), Ids(LabelSplits.For(dataset, 7, seed: 0).Train));
    }

    [Fact]
    public void ADatasetValidationSplitIsUsedAsIs()
    {
        using var dataset = new LabelledFakeDataset(train: 100, test: 20, classes: 4, validation: 30);
        var splits = LabelSplits.For(dataset, null, seed: 0);
        Assert.Equal(100, splits.Train.Count);
        Assert.Equal(Enumerable.Range(100, 30).ToHashSet(), Ids(splits.Validation));
        Assert.Contains("'val'", splits.ValidationOrigin);
    }

    [Fact]
    public void ABudgetLargerThanAClassFailsWithTheNumbers()
    {
        using var dataset = new LabelledFakeDataset(train: 100, test: 20, classes: 10);
        var e = Assert.Throws<DatasetException>(() => LabelSplits.For(dataset, labelsPerClass: 50, seed: 0));
        Assert.Contains("only 9", e.Message);
    }
}
