using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Engine.Evaluation;

/// <summary>
/// Collapse detectors for a batch of embeddings (B, D). <see cref="NormalizedStd"/>: the per-dimension standard
/// deviation of the L2-normalised embeddings (SimSiam's monitor), averaged over dimensions and scaled by √D, so
/// that isotropic embeddings give about 1 and a collapse to one point gives 0. <see cref="EffectiveRank"/>: the
/// exponential of the entropy of the covariance's normalised eigenvalues (Roy and Vetterli; RankMe): D for an
/// isotropic covariance, 1 for a rank-1 one.
/// </summary>
public static class RepresentationHealth
{
    /// <summary>Below this <see cref="NormalizedStd"/> the embeddings have collapsed (or nearly so).</summary>
    public const double CollapseStd = 0.01;

    public static double NormalizedStd(Tensor embeddings)
    {
        using var scope = NewDisposeScope();
        var z = F.normalize(embeddings.detach().to(float64), dim: 1);
        return z.std(0).mean().item<double>() * Math.Sqrt(z.shape[1]);
    }

    public static double EffectiveRank(Tensor embeddings)
    {
        using var scope = NewDisposeScope();
        var z = embeddings.detach().to(float64);
        z = z - z.mean(new long[] { 0 }, keepdim: true);
        var covariance = matmul(z.t(), z) / Math.Max(1, z.shape[0] - 1);
        return EffectiveRankOfCovariance(covariance);
    }

    public static double EffectiveRankOfCovariance(Tensor covariance)
    {
        using var scope = NewDisposeScope();
        var eigenvalues = linalg.eigvalsh(covariance.to(float64)).clamp_min(0);
        double total = eigenvalues.sum().item<double>();
        if (total <= 0) return 0;
        var p = eigenvalues / total;
        var entropy = -(p * (p + 1e-300).log()).sum();
        return Math.Exp(entropy.item<double>());
    }
}
