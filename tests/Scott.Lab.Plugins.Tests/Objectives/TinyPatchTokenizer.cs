using Scott.Lab.Abstractions.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Scott.Lab.Plugins.Tests.Objectives;

/// <summary>A test tokenizer independent of the tokenizer plugin: one patch conv (kernel = stride = patch), masked tokens zeroed.</summary>
internal sealed class TinyPatchTokenizer : TokenizerModule
{
    private readonly Conv2d proj;
    private readonly int _grid, _dim, _channels, _patch;

    public TinyPatchTokenizer(int imageSize, int channels, int patch, int dim) : base(nameof(TinyPatchTokenizer))
    {
        (_grid, _dim, _channels, _patch) = (imageSize / patch, dim, channels, patch);
        proj = nn.Conv2d(channels, dim, patch, stride: patch);
        RegisterComponents();
    }

    public override int GridHeight => _grid;
    public override int GridWidth => _grid;
    public override int EmbedDim => _dim;
    public override long ForwardFlopsPerImage => 2L * _grid * _grid * _dim * _channels * _patch * _patch;

    public override Tensor forward(Tensor images, Tensor? keepMask)
    {
        var tokens = proj.forward(images).flatten(2).transpose(1, 2);
        return keepMask is null ? tokens : tokens * keepMask.unsqueeze(-1);
    }
}
