using static TorchSharp.torch;

namespace Scott.Lab.Engine.Interop;

/// <summary>
/// One tensor of the reference's state dict: its key and shape, and where it lives in this project's module
/// (<see cref="Own"/>, relative to the part's module), or <see cref="Kind"/> when it is not a parameter here.
/// </summary>
public sealed record LayoutEntry(string Reference, long[] Shape, string? Own, LayoutKind Kind = LayoutKind.Parameter);

public enum LayoutKind
{
    /// <summary>A parameter of this project's module, copied both ways.</summary>
    Parameter,
    /// <summary>The fixed 2D sin-cos position embedding (a stored buffer there, computed here): written on export, checked on import.</summary>
    FixedPositionEmbedding,
    /// <summary>A tensor the reference keeps but never uses here (the predictor's mask embedding): zeros on export, shape-checked and ignored on import.</summary>
    Unused,
}

/// <summary>
/// The reference implementation's state-dict keys and shapes for an encoder and for the MIM-JEPA predictor, and the
/// parameter of this project each one is. Non-affine LayerNorms have no parameters, so they do not appear; the
/// tokenizer's blur kernels are fixed buffers here and not part of the reference's state dict.
/// </summary>
public static class ReferenceLayout
{
    public static IReadOnlyList<LayoutEntry> Encoder(ReferenceModelArgs a)
    {
        long d = a.EmbedDim;
        var list = new List<LayoutEntry>();
        if (a.ModelName == "scott")
        {
            // The reference's tokenizer is one Sequential: conv, ReLU, MaxBlurPool, conv, ReLU, MaxBlurPool.
            list.Add(new("tokenizer.tokenizer.0.weight", [ReferenceModelArgs.ScottHidden, a.InChannels, ReferenceModelArgs.ScottKernel, ReferenceModelArgs.ScottKernel], "tokenizer.stages.0.conv.weight"));
            list.Add(new("tokenizer.tokenizer.3.weight", [d, ReferenceModelArgs.ScottHidden, ReferenceModelArgs.ScottKernel, ReferenceModelArgs.ScottKernel], "tokenizer.stages.1.conv.weight"));
        }
        else
        {
            list.Add(new("tokenizer.proj.weight", [d, a.InChannels, a.PatchSize, a.PatchSize], "tokenizer.proj.weight"));
            list.Add(new("tokenizer.proj.bias", [d], "tokenizer.proj.bias"));
        }
        if (a.NumRegisterTokens > 0) list.Add(new("transformer.reg_embed", [1, a.NumRegisterTokens, d], "registers"));
        list.Add(new("transformer.msk_embed", [1, 1, d], "mask_token"));
        list.Add(new("transformer.pos_embed", [a.NumRegisterTokens + a.Tokens, d], null, LayoutKind.FixedPositionEmbedding));
        list.AddRange(Blocks(a, a.Depth, "transformer.blocks", "blocks"));
        return list;
    }

    /// <summary>The reference's MIM-JEPA <c>Predictor</c>: a transformer (with a mask embedding it does not use) and the SiLU → LayerNorm → Linear head.</summary>
    public static IReadOnlyList<LayoutEntry> Predictor(ReferenceModelArgs a)
    {
        long d = a.EmbedDim;
        var list = new List<LayoutEntry>
        {
            new("transformer.msk_embed", [1, 1, d], null, LayoutKind.Unused),
            new("transformer.pos_embed", [a.Tokens, d], null, LayoutKind.FixedPositionEmbedding),
        };
        list.AddRange(Blocks(a, a.PredictorDepth, "transformer.blocks", "predictor.blocks"));
        list.Add(new("head.1.weight", [d], "predictor_head.1.weight"));
        list.Add(new("head.1.bias", [d], "predictor_head.1.bias"));
        list.Add(new("head.2.weight", [d, d], "predictor_head.2.weight"));
        list.Add(new("head.2.bias", [d], "predictor_head.2.bias"));
        return list;
    }

    private static IEnumerable<LayoutEntry> Blocks(ReferenceModelArgs a, int depth, string reference, string own)
    {
        long d = a.EmbedDim, h = a.FfnHidden;
        for (int i = 0; i < depth; i++)
        {
            string r = $"{reference}.{i}", o = $"{own}.{i}";
            yield return new($"{r}.self_attn.qkv.weight", [3 * d, d], $"{o}.attn.qkv.weight");
            yield return new($"{r}.self_attn.proj.weight", [d, d], $"{o}.attn.proj.weight");
            if (a.FfnLayer == "swiglu")
            {
                yield return new($"{r}.ffn_layer.w12.weight", [2 * h, d], $"{o}.ffn.w12.weight");
                yield return new($"{r}.ffn_layer.last_linear.weight", [d, h], $"{o}.ffn.w3.weight");
            }
            else
            {
                yield return new($"{r}.ffn_layer.linear1.weight", [h, d], $"{o}.ffn.fc1.weight");
                yield return new($"{r}.ffn_layer.last_linear.weight", [d, h], $"{o}.ffn.fc2.weight");
            }
        }
    }

    /// <summary>
    /// The reference's stored <c>pos_embed</c>: the fixed 2D sin-cos table of the grid, after one zero row per register
    /// token (registers get no position).
    /// </summary>
    public static Tensor PositionEmbedding(ReferenceModelArgs a, int registers)
    {
        using var table = Models.PositionEmbedding.SinCos2D(a.EmbedDim, a.GridSide, a.GridSide);
        if (registers == 0) return table.clone();
        using var none = zeros(registers, a.EmbedDim);
        return cat(new[] { none, table }, 0);
    }
}
