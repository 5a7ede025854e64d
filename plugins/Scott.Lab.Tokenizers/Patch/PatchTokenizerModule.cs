using TorchSharp;
using TorchSharp.Modules;
using Scott.Lab.Abstractions.Models;
using static TorchSharp.torch;

namespace Scott.Lab.Tokenizers.Patch;

/// <summary>ViT patch embedding: Conv2d(C, D, P, stride P) with bias, flattened row-major to (B, N, D).</summary>
public sealed class PatchTokenizerModule : TokenizerModule
{
    private readonly int _inChannels, _patchSize, _gridSide, _embedDim;
    private readonly Conv2d proj;

    internal PatchTokenizerModule(int inChannels, int embedDim, int patchSize, int gridSide) : base(nameof(PatchTokenizerModule))
    {
        (_inChannels, _patchSize, _gridSide, _embedDim) = (inChannels, patchSize, gridSide, embedDim);
        proj = nn.Conv2d(inChannels, embedDim, patchSize, stride: patchSize);
        using (no_grad())
        {
            // As in MAE: Xavier on the kernel seen as a (D, C·P·P) linear map, not on the 4-D conv fans.
            nn.init.xavier_uniform_(proj.weight.view(embedDim, -1));
            nn.init.zeros_(proj.bias!);
        }
        RegisterComponents();
    }

    public override int GridHeight => _gridSide;
    public override int GridWidth => _gridSide;
    public override int EmbedDim => _embedDim;

    public Conv2d Projection => proj;

    public override long ForwardFlopsPerImage => 2L * _inChannels * _patchSize * _patchSize * _embedDim * NumTokens;

    public override Tensor forward(Tensor images, Tensor? keepMask)
    {
        using var scope = NewDisposeScope();
        var gridMask = KeepMask.ToGrid(keepMask, images, _gridSide, _gridSide);
        var tokens = Precision.Conv2d(proj, KeepMask.Apply(images, gridMask)).flatten(2).transpose(1, 2);
        // Patches do not overlap, so zeroing the input already isolates visible tokens; zeroing the output
        // makes masked tokens exactly 0 instead of the bias.
        if (gridMask is not null) tokens = tokens * gridMask.flatten(1).unsqueeze(-1);
        return tokens.contiguous().MoveToOuterDisposeScope();
    }
}
