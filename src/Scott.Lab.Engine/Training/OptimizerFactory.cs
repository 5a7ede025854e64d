using TorchSharp;
using TorchSharp.Modules;
using OptimizerOptions = Scott.Lab.Engine.Config.OptimizerOptions;

namespace Scott.Lab.Engine.Training;

/// <summary>AdamW with two parameter groups: weights with (scheduled) weight decay; biases and 1-D parameters without.</summary>
public static class OptimizerFactory
{
    public static (AdamW Optimizer, AdamW.ParamGroup Decay, AdamW.ParamGroup NoDecay) Create(torch.nn.Module model, OptimizerOptions options)
    {
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        if (trainable.Count == 0) throw new InvalidOperationException("The objective has no trainable parameters.");
        var decay = trainable.Where(p => !IsNoDecay(p.name, p.parameter)).Select(p => p.parameter).ToList();
        var noDecay = trainable.Where(p => IsNoDecay(p.name, p.parameter)).Select(p => p.parameter).ToList();
        var decayGroup = new AdamW.ParamGroup(decay, lr: options.Lr, beta1: options.Beta1, beta2: options.Beta2, eps: options.Eps, weight_decay: options.WeightDecay[0]);
        var noDecayGroup = new AdamW.ParamGroup(noDecay, lr: options.Lr, beta1: options.Beta1, beta2: options.Beta2, eps: options.Eps, weight_decay: 0);
        // Empty groups are left out (a model may have no biases at all).
        var groups = new[] { decayGroup, noDecayGroup }.Where(g => g.Parameters.Any());
        var optimizer = torch.optim.AdamW(groups, lr: options.Lr, beta1: options.Beta1, beta2: options.Beta2, eps: options.Eps);
        return (optimizer, decayGroup, noDecayGroup);
    }

    /// <summary>Reference rule: names containing "bias", and every 1-D parameter, get no weight decay.</summary>
    public static bool IsNoDecay(string name, Parameter parameter) =>
        name.Contains("bias", StringComparison.Ordinal) || parameter.dim() == 1;

    public static void Apply(AdamW optimizer, AdamW.ParamGroup decay, double lr, double weightDecay)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
        decay.Options.weight_decay = weightDecay;
    }
}
