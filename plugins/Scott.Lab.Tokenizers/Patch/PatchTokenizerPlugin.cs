using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Plugins;

namespace Scott.Lab.Tokenizers.Patch;

/// <summary>The plain ViT patch embedding, the baseline SCOTT is compared with.</summary>
public sealed class PatchTokenizerPlugin : PluginBase<PatchOptions>, ITokenizerPlugin
{
    public override string Id => "patch";
    public override string DisplayName => "Patch embedding (ViT)";
    public override string Description =>
        "One linear projection per non-overlapping PatchSize×PatchSize patch (a strided conv with bias). " +
        "Masked patches are zeroed on input and output.";

    public TokenizerModule Create(object? options, TokenizerContext context)
    {
        var typed = Typed(options);
        OptionsValidation.Validate(typed);
        GridGeometry.CheckChannels(context);
        int side = GridGeometry.GridSide(context.ImageSize, typed.PatchSize, $"PatchSize = {typed.PatchSize}");
        return new PatchTokenizerModule(context.InChannels, context.EmbedDim, typed.PatchSize, side);
    }
}
