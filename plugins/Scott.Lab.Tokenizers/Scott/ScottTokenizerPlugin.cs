using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Plugins;

namespace Scott.Lab.Tokenizers.Scott;

/// <summary>SCOTT, the Sparse COnvolutional Tokenizer for Transformers.</summary>
public sealed class ScottTokenizerPlugin : PluginBase<ScottOptions>, ITokenizerPlugin
{
    public override string Id => "scott";
    public override string DisplayName => "SCOTT (sparse convolutional tokenizer)";
    public override string Description =>
        "Masked conv stages (stride-2 conv, ReLU, MaxBlurPool), each dividing the resolution by 4; masked patches stay " +
        "exactly zero throughout, so visible tokens never see masked pixels. 224 px with 2 stages gives 14×14 tokens.";

    public TokenizerModule Create(object? options, TokenizerContext context)
    {
        var typed = Typed(options);
        OptionsValidation.Validate(typed);
        GridGeometry.CheckChannels(context);
        int side = GridGeometry.GridSide(
            context.ImageSize, 1 << (2 * typed.Stages), $"4^Stages, Stages = {typed.Stages}", OtherStages(context.ImageSize, typed.Stages));
        return new ScottTokenizerModule(context.ImageSize, context.InChannels, context.EmbedDim, side, typed);
    }

    // Suggests the stage counts that would fit this image size, if any.
    private static string OtherStages(int imageSize, int stages)
    {
        var fitting = Enumerable.Range(1, 3)
            .Where(s => s != stages && imageSize % (1 << (2 * s)) == 0 && imageSize >> (2 * s) >= GridGeometry.MinGrid)
            .ToList();
        return fitting.Count == 0 ? "" : $" Stages = {string.Join(" or ", fitting)} would fit {imageSize}.";
    }
}
