using Scott.Lab.Abstractions.Models;

namespace Scott.Lab.Abstractions.Plugins;

/// <summary>What the host tells a tokenizer about the run.</summary>
/// <param name="ImageSize">Square input size in pixels after augmentation.</param>
/// <param name="InChannels">Channels of the normalised input (1 for Fashion-MNIST, 3 for RGB).</param>
/// <param name="EmbedDim">Token width D of the transformer.</param>
public sealed record TokenizerContext(int ImageSize, int InChannels, int EmbedDim);

/// <summary>Maps images (and an optional keep-mask) to a grid of tokens.</summary>
public interface ITokenizerPlugin : IScottLabPlugin
{
    /// <summary>Builds a fresh module. Throws <see cref="ArgumentException"/> when the options cannot fit the context.</summary>
    TokenizerModule Create(object? options, TokenizerContext context);
}
