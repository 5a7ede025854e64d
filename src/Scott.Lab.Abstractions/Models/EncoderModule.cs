using TorchSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Abstractions.Models;

/// <summary>
/// The backbone the host builds from the run's tokenizer and model settings: tokenizer, then a ViT.
/// forward(images, keepMask) returns the last layer's patch tokens (B, N, D); registers are removed.
/// Masked tokens are replaced by a learned mask embedding, not dropped.
/// </summary>
public abstract class EncoderModule : nn.Module<Tensor, Tensor?, Tensor>
{
    protected EncoderModule(string name) : base(name) { }

    public abstract int GridHeight { get; }
    public abstract int GridWidth { get; }
    public int NumTokens => GridHeight * GridWidth;
    public abstract int EmbedDim { get; }
    public abstract long ForwardFlopsPerImage { get; }

    /// <summary>
    /// MAE style: the tokenizer still sees the keep-mask (so visible tokens cannot depend on masked pixels), then the
    /// masked tokens are dropped and only the visible ones go through the transformer. Every row of
    /// <paramref name="keepMask"/> must keep the same number K of tokens; returns (B, K, D) in increasing token order
    /// (see <see cref="Masking.VisibleTokens"/>). Encoders that cannot drop tokens throw <see cref="NotSupportedException"/>.
    /// </summary>
    public virtual Tensor ForwardVisible(Tensor images, Tensor keepMask) =>
        throw new NotSupportedException($"{GetType().Name} cannot drop masked tokens; use an objective that replaces them (forward with a keep-mask).");
}

/// <summary>A stack of transformer blocks of the run's width, heads and FFN type: (B, N, D) to (B, N, D).</summary>
public abstract class TransformerModule : nn.Module<Tensor, Tensor>
{
    protected TransformerModule(string name) : base(name) { }

    public abstract long ForwardFlopsPerImage { get; }
}

/// <summary>Builds modules of the run's architecture, so that objectives need not know it.</summary>
public interface IModelFactory
{
    int EmbedDim { get; }
    int NumTokens { get; }

    /// <summary>A new encoder (fresh weights) with the run's tokenizer and ViT settings.</summary>
    EncoderModule CreateEncoder();

    /// <summary>A transformer of <paramref name="depth"/> blocks, optionally re-adding the fixed position embedding first (no dropout after it: the MAE decoder).</summary>
    TransformerModule CreateTransformer(int depth, bool addPositionEmbedding);

    /// <summary>
    /// A transformer of <paramref name="depth"/> blocks that re-adds the fixed position embedding and then applies
    /// dropout with rate <paramref name="positionDropout"/> while training (the MIM-JEPA predictor); null: the run's
    /// <c>model.dropout</c>, as the encoder does after its own position embedding.
    /// </summary>
    TransformerModule CreateTransformer(int depth, double? positionDropout) =>
        positionDropout is null or 0
            ? CreateTransformer(depth, addPositionEmbedding: true)
            : throw new NotSupportedException($"{GetType().Name} cannot apply dropout after the position embedding.");
}
