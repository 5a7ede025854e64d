using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Objectives.Common;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Objectives.VicReg;

/// <summary>
/// VICReg: an expander (3-layer MLP) after the pooled encoder; λ·invariance (MSE between views) + μ·variance
/// (hinge on each dimension's std, per view) + ν·covariance (squared off-diagonal covariances, per view).
/// No negatives, no EMA: the variance and covariance terms alone prevent collapse.
/// </summary>
public sealed class VicRegObjective : SiameseObjective
{
    private readonly VicRegOptions _options;

    public VicRegObjective(VicRegOptions options, ObjectiveContext context)
        : base("VicReg", context, new ProjectorShape(OptionsCheck.Validated(options).ExpanderHiddenDim, options.EmbeddingDim, Layers: 3))
    {
        _options = options;
    }

    protected override (Tensor Loss, Dictionary<string, Tensor> Metrics) Loss(BranchOutput first, BranchOutput second, TrainingBatch batch, StepInfo step)
    {
        Tensor z1 = first.Projected, z2 = second.Projected;
        var invariance = F.mse_loss(z1, z2);
        var variance = VarianceTerm(z1) + VarianceTerm(z2);
        var covariance = CovarianceTerm(z1) + CovarianceTerm(z2);
        var loss = _options.InvarianceWeight * invariance + _options.VarianceWeight * variance + _options.CovarianceWeight * covariance;
        return (loss, new Dictionary<string, Tensor>
        {
            ["vicreg/invariance"] = invariance.detach(),
            ["vicreg/variance"] = variance.detach(),
            ["vicreg/covariance"] = covariance.detach(),
        });
    }

    /// <summary>Mean over dimensions of max(0, 1 − sqrt(Var + ε)): zero once every dimension's std reaches 1.</summary>
    public static Tensor VarianceTerm(Tensor z, double epsilon = 1e-4)
    {
        var std = (z.var(0) + epsilon).sqrt();
        return F.relu(1 - std).mean();
    }

    /// <summary>Sum of the squared off-diagonal entries of the covariance matrix, divided by the dimension d.</summary>
    public static Tensor CovarianceTerm(Tensor z)
    {
        long n = z.shape[0], d = z.shape[1];
        if (n < 2) throw new ArgumentException("VICReg needs at least 2 images per batch to estimate covariances.");
        var centred = z - z.mean(new long[] { 0 }, keepdim: true);
        var covariance = centred.t().matmul(centred) / (n - 1);
        var offDiagonal = covariance.pow(2).sum() - covariance.diagonal().pow(2).sum();
        return offDiagonal / d;
    }
}
