using Scott.Lab.Engine.Evaluation;
using Scott.Lab.Engine.Training;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Tests.Evaluation;

public class RepresentationHealthTests
{
    [Fact]
    public void TheEffectiveRankOfAnIdentityCovarianceIsItsDimension() =>
        Assert.Equal(16, RepresentationHealth.EffectiveRankOfCovariance(eye(16)), 6);

    [Fact]
    public void TheEffectiveRankOfARankOneCovarianceIsOne()
    {
        var v = randn(10, 1);
        Assert.Equal(1, RepresentationHealth.EffectiveRankOfCovariance(matmul(v, v.t())), 4);
    }

    [Fact]
    public void HealthyEmbeddingsScoreHighAndCollapsedOnesNearZero()
    {
        manual_seed(0);
        var healthy = randn(512, 32);
        Assert.InRange(RepresentationHealth.NormalizedStd(healthy), 0.8, 1.2);
        Assert.InRange(RepresentationHealth.EffectiveRank(healthy), 25, 32);

        var collapsed = ones(512, 32) + 1e-4f * randn(512, 32); // every embedding (almost) the same point
        Assert.True(RepresentationHealth.NormalizedStd(collapsed) < RepresentationHealth.CollapseStd);
        Assert.NotNull(Trainer.CollapseWarning(new Dictionary<string, double> { [Trainer.HealthStd] = 0.001 }));
        Assert.Null(Trainer.CollapseWarning(new Dictionary<string, double> { [Trainer.HealthStd] = 0.5 }));
    }
}
