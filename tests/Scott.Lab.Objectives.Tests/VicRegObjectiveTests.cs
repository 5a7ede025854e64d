using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Objectives.VicReg;
using static TorchSharp.torch;

namespace Scott.Lab.Objectives.Tests;

public class VicRegObjectiveTests
{
    [Fact]
    public void Variance_term_is_zero_at_std_one_or_more_and_positive_below()
    {
        // Column 0: values ±2 → std (unbiased, n = 4) = sqrt(16/3) > 1. Column 1: ±1 → std sqrt(4/3) > 1.
        var wide = tensor(new float[] { 2, 1, -2, -1, 2, 1, -2, -1 }).view(4, 2);
        Assert.Equal(0, VicRegObjective.VarianceTerm(wide).item<float>());

        // Column 0 constant (std 0): hinge 1 − sqrt(0 + 1e-4) = 0.99. Column 1: ±0.3 → var 0.12, std ≈ 0.3464.
        var narrow = tensor(new float[] { 5, 0.3f, 5, -0.3f, 5, 0.3f, 5, -0.3f }).view(4, 2);
        double expected = ((1 - Math.Sqrt(1e-4)) + (1 - Math.Sqrt(0.12 + 1e-4))) / 2;
        Assert.Equal(expected, VicRegObjective.VarianceTerm(narrow).item<float>(), 5);
    }

    [Fact]
    public void Covariance_term_counts_off_diagonal_entries_only()
    {
        // Two identical columns (1, −1, 1, −1): covariance [[4/3, 4/3], [4/3, 4/3]]; off-diagonal squares 2·16/9, / d = 2.
        var correlated = tensor(new float[] { 1, 1, -1, -1, 1, 1, -1, -1 }).view(4, 2);
        Assert.Equal(16.0 / 9, VicRegObjective.CovarianceTerm(correlated).item<float>(), 5);
        // Uncorrelated columns: zero, whatever their variances.
        var independent = tensor(new float[] { 3, 1, 3, -1, -3, 1, -3, -1 }).view(4, 2);
        Assert.Equal(0, VicRegObjective.CovarianceTerm(independent).item<float>(), 6);
    }

    [Fact]
    public void Forward_reports_the_three_terms_and_weights_them_as_configured()
    {
        var options = new VicRegOptions { ExpanderHiddenDim = 16, EmbeddingDim = 8, InvarianceWeight = 2, VarianceWeight = 3, CovarianceWeight = 5 };
        using var objective = new VicRegObjective(options, TinyModels.Context());
        objective.train();
        var output = objective.Forward(TinyModels.TwoViews(2), new StepInfo(0, 10));
        double invariance = output.Metrics["vicreg/invariance"].item<float>();
        double variance = output.Metrics["vicreg/variance"].item<float>();
        double covariance = output.Metrics["vicreg/covariance"].item<float>();
        Assert.Equal(2 * invariance + 3 * variance + 5 * covariance, output.Loss.item<float>(), 4);
        Assert.True(variance > 0, "a freshly initialised expander has dimensions with std below 1");
        Assert.Equal(new long[] { 8, TinyModels.Width }, output.Features!.shape);
    }
}
