using TorchSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Abstractions.Models;

/// <summary>Exponential moving average of weights: θ̄ ← m·θ̄ + (1−m)·θ (BYOL, DINO, I-JEPA and MIM-JEPA targets).</summary>
public static class ModuleEma
{
    /// <summary>Updates every parameter and floating buffer of <paramref name="target"/> towards <paramref name="source"/>.</summary>
    public static void Update(nn.Module target, nn.Module source, double momentum)
    {
        if (momentum is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "EMA momentum must be in [0, 1].");
        using var _ = no_grad();
        var sourceParams = source.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, targetParam) in target.named_parameters())
        {
            if (!sourceParams.TryGetValue(name, out var s))
                throw new InvalidOperationException($"EMA: source has no parameter '{name}'; target and source must share an architecture.");
            targetParam.mul_(momentum).add_(s, alpha: 1 - momentum);
        }
        var sourceBuffers = source.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        foreach (var (name, targetBuffer) in target.named_buffers())
            if (targetBuffer.is_floating_point() && sourceBuffers.TryGetValue(name, out var s))
                targetBuffer.mul_(momentum).add_(s, alpha: 1 - momentum);
    }

    /// <summary>Copies weights so that the target starts equal to the source.</summary>
    public static void CopyWeights(nn.Module target, nn.Module source) => Update(target, source, 0.0);

    /// <summary>Freezes a module: no gradients, so optimisers built from requires_grad skip it.</summary>
    public static void Freeze(nn.Module module)
    {
        foreach (var p in module.parameters()) p.requires_grad = false;
    }

    /// <summary>Momentum that rises linearly from <paramref name="start"/> to <paramref name="end"/> over the run.</summary>
    public static double LinearMomentum(double start, double end, long step, long totalSteps)
        => totalSteps <= 1 ? end : start + (end - start) * Math.Min(1.0, step / (double)(totalSteps - 1));
}
