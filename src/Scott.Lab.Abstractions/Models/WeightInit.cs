using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Scott.Lab.Abstractions.Models;

/// <summary>Initialisers that TorchSharp lacks or gets wrong.</summary>
public static class WeightInit
{
    /// <summary>
    /// Truncated normal N(mean, std²) cut to [a, b], in place, by rejection: values outside are redrawn until none
    /// is left (exact, and fast because a ±2 cut at std ≤ 1 rejects under 5%). Written by hand because TorchSharp
    /// 0.107's nn.init.trunc_normal_ fills the tensor with the constant <c>std</c>; a test pins that bug down.
    /// </summary>
    public static Tensor TruncatedNormal_(Tensor tensor, double std, double mean = 0, double a = -2, double b = 2)
    {
        using var _ = no_grad();
        tensor.normal_(mean, std);
        for (int round = 0; round < 100; round++)
        {
            using var outside = tensor.lt(a).logical_or_(tensor.gt(b));
            if (!outside.any().item<bool>()) break;
            using var redraw = empty_like(tensor).normal_(mean, std);
            tensor.copy_(where(outside, redraw, tensor));
        }
        return tensor.clamp_(a, b); // only matters for a cut far out in the tail
    }

    /// <summary>The ViT / MAE initialisation of a linear layer, in place: weights truncated normal (std 0.02), bias (if any) zero.</summary>
    public static Linear Linear_(Linear linear, double std = 0.02)
    {
        using var _ = no_grad();
        TruncatedNormal_(linear.weight!, std);
        if (linear.bias is not null) nn.init.zeros_(linear.bias);
        return linear;
    }
}
