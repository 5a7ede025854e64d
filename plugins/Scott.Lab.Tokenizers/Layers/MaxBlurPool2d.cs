using Scott.Lab.Abstractions.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Scott.Lab.Tokenizers.Layers;

/// <summary>
/// Anti-aliased downsampling (Zhang, "Making Convolutional Networks Shift-Invariant Again"): a dense 2×2 max
/// (stride 1), then a fixed [1,2,1]ᵀ[1,2,1]/16 blur applied per channel with stride 2 and zero padding 1.
/// H×W becomes (H/2)×(W/2) for even H, W.
/// </summary>
public sealed class MaxBlurPool2d : nn.Module<Tensor, Tensor>
{
    private readonly int _channels;
    private readonly MaxPool2d max;
    // A buffer, not a parameter: the blur stays fixed and moves with the module.
    private readonly Tensor blur;

    public MaxBlurPool2d(int channels) : base(nameof(MaxBlurPool2d))
    {
        _channels = channels;
        max = nn.MaxPool2d(kernel_size: 2, stride: 1);
        using var row = tensor(new float[] { 1, 2, 1 });
        using var outer = row.outer(row) / 16;
        // Module state outlives any dispose scope the constructor happens to run in.
        blur = outer.expand(channels, 1, 3, 3).contiguous().DetachFromDisposeScope();
        RegisterComponents();
    }

    /// <summary>The stride-1 max on its own, exposed so callers can see the intermediate (H−1)×(W−1) map.</summary>
    public MaxPool2d Max => max;

    public Tensor BlurKernel => blur;

    public override Tensor forward(Tensor x)
    {
        using var pooled = max.forward(x);
        // [1,2,1]ᵀ[1,2,1]/16 is exact in bf16; in mixed precision the blur runs there (measured faster) and stays there.
        return Precision.Conv2d(pooled, blur, null, strides: [2, 2], padding: [1, 1], groups: _channels, keepCompute: true);
    }

    /// <summary>Output side for an input of side <paramref name="size"/>.</summary>
    public static int OutputSize(int size) => GridGeometry.ConvOutput(GridGeometry.ConvOutput(size, 2, 1, 0), 3, 2, 1);

    /// <summary>FLOPs of the blur (2 per multiply-add) for an input of side <paramref name="size"/>; the max is not counted.</summary>
    public long Flops(int size)
    {
        long side = OutputSize(size);
        return 2L * 9 * _channels * side * side;
    }
}
