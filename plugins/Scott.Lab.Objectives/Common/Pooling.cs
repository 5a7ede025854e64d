using static TorchSharp.torch;

namespace Scott.Lab.Objectives.Common;

/// <summary>Image embeddings from token grids: BagSSL's "image = mean of its patches", which is also what eval probes.</summary>
public static class Pooling
{
    /// <summary>(B, N, D) → (B, D).</summary>
    public static Tensor Mean(Tensor tokens) => tokens.mean(new long[] { 1 });

    /// <summary>Mean over the visible tokens only: (B, N, D) and a keep-mask (B, N) → (B, D).</summary>
    public static Tensor MeanVisible(Tensor tokens, Tensor keepMask)
    {
        var keep = keepMask.to(tokens.dtype).unsqueeze(-1);
        return (tokens * keep).sum(1) / keep.sum(1).clamp_min(1);
    }
}
