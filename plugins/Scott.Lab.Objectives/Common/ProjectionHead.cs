using Scott.Lab.Abstractions.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Scott.Lab.Objectives.Common;

/// <summary>The MLP heads of the siamese methods (SimCLR, VICReg, BYOL projectors and predictors).</summary>
public static class ProjectionHead
{
    /// <summary>
    /// Linear → BatchNorm1d → ReLU, repeated <paramref name="layers"/> − 1 times, then a last Linear
    /// (plus a non-affine BatchNorm when <paramref name="batchNormOutput"/>, as SimCLR v2 does). Linear weights are
    /// truncated normal (std 0.02) and biases 0, like the rest of the model.
    /// </summary>
    public static Sequential Mlp(int inputDim, int hiddenDim, int outputDim, int layers = 2, bool batchNormOutput = false)
    {
        if (layers < 1) throw new ArgumentOutOfRangeException(nameof(layers), layers, "A head needs at least one layer.");
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        int width = inputDim;
        for (int i = 0; i < layers - 1; i++)
        {
            modules.Add(($"linear{i}", Linear(width, hiddenDim)));
            modules.Add(($"bn{i}", nn.BatchNorm1d(hiddenDim)));
            modules.Add(($"relu{i}", nn.ReLU()));
            width = hiddenDim;
        }
        modules.Add(("out", Linear(width, outputDim)));
        if (batchNormOutput) modules.Add(("out_bn", nn.BatchNorm1d(outputDim, affine: false)));
        return nn.Sequential(modules);
    }

    private static Linear Linear(int input, int output) => WeightInit.Linear_(nn.Linear(input, output));

    /// <summary>FLOPs of one forward pass of <see cref="Mlp"/> per image (matmuls only, 2 per multiply-add).</summary>
    public static long Flops(int inputDim, int hiddenDim, int outputDim, int layers = 2)
    {
        long flops = 0;
        int width = inputDim;
        for (int i = 0; i < layers - 1; i++) { flops += 2L * width * hiddenDim; width = hiddenDim; }
        return flops + 2L * width * outputDim;
    }
}
