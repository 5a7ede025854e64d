using System;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Plugins;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Scott.Lab.Plugins.Tests.DocExamples;

// The tokenizer example of docs/plugins.md: each non-overlapping patch, flattened, through one linear layer.
// It is compiled into the tests and, on its own, as a third-party plugin DLL (DocExampleTests).

/// <summary>Options of the <c>pixel-patch</c> tokenizer: key <c>patch_size</c>.</summary>
public sealed class PixelPatchOptions
{
    [Range(2, 32)]
    [Display(Name = "Patch size")]
    [Description("Side in pixels of the square patches; the token grid is ImageSize / PatchSize a side.")]
    public int PatchSize { get; set; } = 8;
}

public sealed class PixelPatchTokenizer : PluginBase<PixelPatchOptions>, ITokenizerPlugin
{
    public override string Id => "pixel-patch";
    public override string DisplayName => "Pixel patches (linear)";
    public override string Description => "Each PatchSize×PatchSize patch, flattened, through one linear layer; masked tokens are 0.";

    public TokenizerModule Create(object? options, TokenizerContext context)
    {
        var typed = Typed(options);
        int p = typed.PatchSize;
        if (p < 2 || p > 32)
            throw new ArgumentException($"PatchSize must be in [2, 32], got {p}.");
        if (context.ImageSize % p != 0 || context.ImageSize / p < 2)
            throw new ArgumentException(
                $"Image size {context.ImageSize} is not a multiple of PatchSize {p} with at least 2 patches a side; " +
                $"use an image size that is a multiple of {p} from {2 * p}.");
        return new PixelPatchModule(context.InChannels, context.EmbedDim, p, context.ImageSize / p);
    }
}

/// <summary>(B, C, H, W) and a keep-mask (B, N), 1 = visible, to tokens (B, N, D), row-major over the grid.</summary>
public sealed class PixelPatchModule : TokenizerModule
{
    private readonly int _channels, _patch, _grid, _dim;
    private readonly Linear proj;

    public PixelPatchModule(int channels, int dim, int patch, int grid) : base(nameof(PixelPatchModule))
    {
        (_channels, _dim, _patch, _grid) = (channels, dim, patch, grid);
        proj = nn.Linear(channels * patch * patch, dim);
        RegisterComponents();
    }

    public override int GridHeight => _grid;
    public override int GridWidth => _grid;
    public override int EmbedDim => _dim;
    public override long ForwardFlopsPerImage => 2L * NumTokens * _channels * _patch * _patch * _dim;

    public override Tensor forward(Tensor images, Tensor? keepMask)
    {
        using var scope = NewDisposeScope();
        long b = images.shape[0];
        // (B, C, g·P, g·P) → (B, g, g, C, P, P) → (B, N, C·P·P): token n sees only the pixels of its own patch.
        var patches = images.reshape(b, _channels, _grid, _patch, _grid, _patch)
            .permute(0, 2, 4, 1, 3, 5)
            .reshape(b, NumTokens, _channels * _patch * _patch);
        var tokens = proj.forward(patches);
        if (keepMask is not null)
        {
            if (keepMask.dim() != 2 || keepMask.shape[0] != b || keepMask.shape[1] != NumTokens)
                throw new ArgumentException($"Keep-mask must be ({b}, {NumTokens}), got ({string.Join(", ", keepMask.shape)}).");
            // Patches do not overlap, so visible tokens cannot see masked pixels; masked tokens become exactly 0.
            tokens = tokens * keepMask.to(tokens.device).to_type(tokens.dtype).unsqueeze(-1);
        }
        return tokens.MoveToOuterDisposeScope();
    }
}
