using Scott.Lab.Runs.Comparison;

namespace Scott.Lab.Runs.Tests.Comparison;

public sealed class CompareViewTests
{
    [Fact]
    public void EveryPartOfTheViewSurvivesTheQueryString()
    {
        var view = new CompareView
        {
            Runs = ["r1", "r2"], Metrics = ["loss", "health/std"], X = XAxis.Wall, Smoothing = 0.6, LogScale = true,
            Images = ["test-1", "test-12"], Map = CompareMapKind.Attention, DiffOnly = false, ParallelMetric = "eval:linear",
        };
        string query = view.ToQuery();
        Assert.Equal("runs=r1,r2&metrics=loss,health%2Fstd&x=wall&smooth=0.6&log=1&images=test-1,test-12&map=attention&diff=all&pc=eval%3Alinear", query);
        var back = CompareView.Parse("?" + query);
        Assert.Equal(view.Runs, back.Runs);
        Assert.Equal(view.Metrics, back.Metrics);
        Assert.Equal(view.Images, back.Images);
        Assert.Equal(view with { Runs = back.Runs, Metrics = back.Metrics, Images = back.Images }, back);
        Assert.Equal("", new CompareView().ToQuery());
    }

    [Theory]
    [InlineData("smooth=2", "smooth: '2' must be a number from 0")]
    [InlineData("x=time", "x: 'time' must be one of step, epoch, wall")]
    [InlineData("log=maybe", "log: 'maybe' must be 1 or 0")]
    [InlineData("diff=some", "diff: 'some' must be 'only'")]
    [InlineData("images=../etc", "images: '../etc' is not an image id")]
    [InlineData("runs=1,2,3,4,5,6,7,8,9,10,11", "at most 10 can be compared")]
    public void BadValuesNameTheKeyAndTheFix(string query, string message)
    {
        var e = Assert.Throws<CompareViewException>(() => CompareView.Parse(query));
        Assert.Contains(message, e.Message);
    }
}
