using TorchSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Abstractions.Models;

/// <summary>
/// Images (B, C, H, W) and an optional keep-mask (B, N) with 1 = visible, to tokens (B, N, D), N = GridHeight·GridWidth,
/// flattened row-major. Contract: outputs must not depend on pixels that lie inside masked tokens' patches.
/// </summary>
public abstract class TokenizerModule : nn.Module<Tensor, Tensor?, Tensor>
{
    protected TokenizerModule(string name) : base(name) { }

    public abstract int GridHeight { get; }
    public abstract int GridWidth { get; }
    public int NumTokens => GridHeight * GridWidth;
    public abstract int EmbedDim { get; }

    /// <summary>Forward FLOPs for one image (2 per multiply-add, convs and matmuls only).</summary>
    public abstract long ForwardFlopsPerImage { get; }
}
