using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Objectives.Common;

/// <summary>Metrics shared by the two-view methods.</summary>
public static class Similarity
{
    /// <summary>
    /// Mean cosine similarity of the positive pairs (row i of <paramref name="a"/> with row i of <paramref name="b"/>)
    /// and of the negatives (row i with row j ≠ i), detached: they should part ways as training works, and both
    /// go to 1 when the embedding collapses.
    /// </summary>
    public static (Tensor Positive, Tensor Negative) PositiveNegativeCosine(Tensor a, Tensor b)
    {
        using var _ = no_grad();
        var cosine = F.normalize(a, dim: 1).matmul(F.normalize(b, dim: 1).t()); // (B, B)
        long n = cosine.shape[0];
        var positive = cosine.diagonal().mean();
        var negative = n > 1 ? (cosine.sum() - cosine.diagonal().sum()) / (n * (n - 1)) : zeros_like(positive);
        return (positive, negative);
    }
}
