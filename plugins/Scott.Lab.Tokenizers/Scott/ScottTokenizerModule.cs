using TorchSharp;
using TorchSharp.Modules;
using Scott.Lab.Abstractions.Models;
using static TorchSharp.torch;

namespace Scott.Lab.Tokenizers.Scott;

/// <summary>
/// SCOTT: the image is masked, then passes <c>Stages</c> sparse conv stages (each ÷4 in resolution) and is flattened
/// row-major to (B, gh·gw, D). No norm layers: batch statistics would let masked regions leak into visible ones.
/// </summary>
public sealed class ScottTokenizerModule : TokenizerModule
{
    private readonly int _imageSize, _gridSide, _embedDim;
    private readonly ModuleList<ScottStage> stages;

    internal ScottTokenizerModule(int imageSize, int inChannels, int embedDim, int gridSide, ScottOptions options)
        : base(nameof(ScottTokenizerModule))
    {
        (_imageSize, _gridSide, _embedDim) = (imageSize, gridSide, embedDim);
        stages = new ModuleList<ScottStage>();
        for (int s = 0; s < options.Stages; s++)
        {
            int cin = s == 0 ? inChannels : options.HiddenChannels;
            int cout = s == options.Stages - 1 ? embedDim : options.HiddenChannels;
            stages.Add(new ScottStage(cin, cout, options.KernelSize));
        }
        RegisterComponents();
    }

    public override int GridHeight => _gridSide;
    public override int GridWidth => _gridSide;
    public override int EmbedDim => _embedDim;

    public IReadOnlyList<ScottStage> Stages => stages.ToList();

    public override long ForwardFlopsPerImage
    {
        get
        {
            long flops = 0;
            int size = _imageSize;
            foreach (var stage in stages)
            {
                flops += stage.Flops(size);
                size = stage.OutputSize(size);
            }
            return flops;
        }
    }

    public override Tensor forward(Tensor images, Tensor? keepMask)
    {
        using var scope = NewDisposeScope();
        var gridMask = KeepMask.ToGrid(keepMask, images, _gridSide, _gridSide);
        // Masked pixels become 0 before the first conv reads them, so no output can depend on them.
        var x = KeepMask.Apply(images, gridMask);
        foreach (var stage in stages) x = stage.forward(x, gridMask);
        var tokens = Precision.ToFp32(x.flatten(2).transpose(1, 2)).contiguous(); // the transformer's residual stream is fp32
        return tokens.MoveToOuterDisposeScope();
    }
}
