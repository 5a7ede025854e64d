using Scott.Lab.Abstractions.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Scott.Lab.Tests.Shared;

/// <summary>
/// A test tokenizer: one patch-embedding conv (kernel = stride = patch), flattened row-major. By default it ignores
/// the keep-mask on purpose, so that tests see what the encoder itself does with masked tokens.
/// Shared by the test projects (linked), so that they don't depend on the tokenizer plugins.
/// </summary>
internal sealed class TinyPatchTokenizer : TokenizerModule
{
    private readonly Conv2d proj;
    private readonly int _grid, _dim, _channels, _patch;
    private readonly bool _applyMask;

    public TinyPatchTokenizer(int imageSize, int channels, int patch, int dim, bool applyMask = false, bool bias = false) : base(nameof(TinyPatchTokenizer))
    {
        (_grid, _dim, _channels, _patch, _applyMask) = (imageSize / patch, dim, channels, patch, applyMask);
        proj = nn.Conv2d(channels, dim, patch, stride: patch, bias: bias);
        RegisterComponents();
    }

    public override int GridHeight => _grid;
    public override int GridWidth => _grid;
    public override int EmbedDim => _dim;
    public override long ForwardFlopsPerImage => 2L * _grid * _grid * _dim * _channels * _patch * _patch;

    public override Tensor forward(Tensor images, Tensor? keepMask)
    {
        var tokens = proj.forward(images).flatten(2).transpose(1, 2);
        return _applyMask && keepMask is not null ? tokens * keepMask.unsqueeze(-1) : tokens;
    }
}
