using static TorchSharp.torch;

namespace Scott.Lab.Abstractions.Masking;

/// <summary>Selecting the visible tokens of a keep-mask (B, N), 1 = visible, for encoders and decoders that drop masked tokens.</summary>
public static class VisibleTokens
{
    /// <summary>Indices (B, K) of the visible tokens of each row, in increasing order. Every row must keep the same K.</summary>
    public static Tensor Indices(Tensor keepMask)
    {
        if (keepMask.dim() != 2) throw new ArgumentException($"Keep-mask must be (B, N), got {keepMask.dim()} dimensions.", nameof(keepMask));
        long batch = keepMask.shape[0];
        var visible = keepMask.gt(0.5);
        var counts = visible.sum(1);
        long keep = counts[0].item<long>();
        if (!counts.eq(keep).all().item<bool>())
            throw new ArgumentException("Every row of the keep-mask must keep the same number of tokens to drop the masked ones (TokenMaskGenerator guarantees it).", nameof(keepMask));
        // nonzero() lists (row, column) pairs in row-major order, so each row's columns come out sorted.
        return visible.nonzero().select(1, 1).reshape(batch, keep);
    }

    /// <summary>Tokens (B, N, D) at <paramref name="indices"/> (B, K): (B, K, D).</summary>
    public static Tensor Gather(Tensor tokens, Tensor indices) =>
        tokens.gather(1, indices.unsqueeze(-1).expand(-1, -1, tokens.shape[2]));

    /// <summary>The inverse of <see cref="Gather"/>: (B, K, D) written into a copy of <paramref name="fill"/> (B, N, D) at the indices.</summary>
    public static Tensor Scatter(Tensor fill, Tensor indices, Tensor visible) =>
        fill.scatter(1, indices.unsqueeze(-1).expand(-1, -1, fill.shape[2]), visible);
}
