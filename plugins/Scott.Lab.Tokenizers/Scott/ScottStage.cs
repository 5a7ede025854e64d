using Scott.Lab.Abstractions.Models;
using TorchSharp;
using TorchSharp.Modules;
using Scott.Lab.Tokenizers.Layers;
using static TorchSharp.torch;

namespace Scott.Lab.Tokenizers.Scott;

/// <summary>
/// One SCOTT stage: conv (stride 2, no bias) → mask → ReLU → MaxBlurPool → mask. Re-masking after every layer
/// that spreads information sideways keeps masked regions at exactly 0, so visible regions never read from them.
/// </summary>
public sealed class ScottStage : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly int _inChannels, _outChannels, _kernelSize;
    private readonly Conv2d conv;
    private readonly MaxBlurPool2d pool;

    public ScottStage(int inChannels, int outChannels, int kernelSize) : base(nameof(ScottStage))
    {
        (_inChannels, _outChannels, _kernelSize) = (inChannels, outChannels, kernelSize);
        conv = nn.Conv2d(inChannels, outChannels, kernelSize, stride: 2, padding: kernelSize / 2, bias: false);
        nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanIn, nonlinearity: nn.init.NonlinearityType.ReLU);
        pool = new MaxBlurPool2d(outChannels);
        RegisterComponents();
    }

    public Conv2d Conv => conv;
    public MaxBlurPool2d Pool => pool;

    /// <param name="x">(B, Cin, H, W), already zero wherever the mask is 0.</param>
    /// <param name="gridMask">(B, 1, gh, gw) keep-mask, or null when everything is visible.</param>
    public override Tensor forward(Tensor x, Tensor? gridMask)
    {
        // In mixed precision the whole stage runs in bf16 (conv, ReLU, max, blur all measured faster there); see ScottTokenizerModule.
        var h = KeepMask.Apply(Precision.Conv2d(conv, x, keepCompute: true), gridMask);
        h = nn.functional.relu(h);
        return KeepMask.Apply(pool.forward(h), gridMask);
    }

    /// <summary>Side after the conv for an input of side <paramref name="size"/>.</summary>
    public int ConvOutputSize(int size) => GridGeometry.ConvOutput(size, _kernelSize, stride: 2, padding: _kernelSize / 2);

    public int OutputSize(int size) => MaxBlurPool2d.OutputSize(ConvOutputSize(size));

    /// <summary>Conv plus blur FLOPs (2 per multiply-add) for an input of side <paramref name="size"/>.</summary>
    public long Flops(int size)
    {
        long convSide = ConvOutputSize(size);
        long convFlops = 2L * _kernelSize * _kernelSize * _inChannels * _outChannels * convSide * convSide;
        return convFlops + pool.Flops((int)convSide);
    }
}
