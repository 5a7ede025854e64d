using OptimizerOptions = Scott.Lab.Engine.Config.OptimizerOptions;
using Scott.Lab.Engine.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Tests.Training;

public class OptimizerFactoryTests
{
    private sealed class Net : nn.Module
    {
        private readonly Linear fc, frozen;
        private readonly LayerNorm norm;
        private readonly Parameter rel_bias_table, scale;

        public Net() : base(nameof(Net))
        {
            fc = nn.Linear(4, 3);
            norm = nn.LayerNorm(3);
            rel_bias_table = nn.Parameter(randn(2, 3)); // 2-D but named "bias": no decay
            scale = nn.Parameter(randn(3));            // 1-D: no decay
            frozen = nn.Linear(3, 3);
            RegisterComponents();
            foreach (var p in frozen.parameters()) p.requires_grad = false;
        }
    }

    private static OptimizerOptions Options() => new() { Lr = 1e-3, WeightDecay = [0.05, 0.5] };

    [Fact]
    public void IsNoDecay_rule()
    {
        using var w2 = nn.Parameter(randn(3, 3));
        using var w1 = nn.Parameter(randn(3));
        using var w4 = nn.Parameter(randn(2, 3, 3, 3));
        Assert.False(OptimizerFactory.IsNoDecay("blocks.0.attn.qkv.weight", w2));
        Assert.False(OptimizerFactory.IsNoDecay("tokenizer.conv.weight", w4));
        Assert.True(OptimizerFactory.IsNoDecay("head.bias", w1));
        Assert.True(OptimizerFactory.IsNoDecay("norm.weight", w1));
        Assert.True(OptimizerFactory.IsNoDecay("rel_bias_table", w2));
    }

    [Fact]
    public void Groups_split_decay_and_no_decay_and_skip_frozen_parameters()
    {
        using var net = new Net();
        var (optimizer, decay, noDecay) = OptimizerFactory.Create(net, Options());
        var byHandle = net.named_parameters().ToDictionary(p => p.parameter.Handle, p => p.name);
        var decayNames = decay.Parameters.Select(p => byHandle[p.Handle]).OrderBy(n => n).ToArray();
        var noDecayNames = noDecay.Parameters.Select(p => byHandle[p.Handle]).OrderBy(n => n).ToArray();

        Assert.Equal(new[] { "fc.weight" }, decayNames);
        Assert.Equal(new[] { "fc.bias", "norm.bias", "norm.weight", "rel_bias_table", "scale" }, noDecayNames);
        Assert.Equal(2, optimizer.ParamGroups.Count());
        Assert.Equal(0.05, decay.Options.weight_decay!.Value, 12);
        Assert.Equal(0.0, noDecay.Options.weight_decay!.Value);
    }

    [Fact]
    public void Apply_sets_lr_on_every_group_and_weight_decay_on_the_decay_group_only()
    {
        using var net = new Net();
        var (optimizer, decay, noDecay) = OptimizerFactory.Create(net, Options());
        OptimizerFactory.Apply(optimizer, decay, lr: 0.1, weightDecay: 0.3);
        Assert.All(optimizer.ParamGroups, g => Assert.Equal(0.1, g.LearningRate, 12));
        Assert.Equal(0.3, decay.Options.weight_decay!.Value, 12);
        Assert.Equal(0.0, noDecay.Options.weight_decay!.Value);
    }

    [Fact]
    public void A_step_with_zero_gradients_shrinks_only_decayed_weights_by_lr_times_wd()
    {
        // AdamW with zero gradients: the Adam update is 0, so p ← p·(1 − lr·wd) for decayed weights and
        // no change elsewhere. This proves the values Apply sets are the ones the optimiser uses.
        using var net = new Net();
        var (optimizer, decay, _) = OptimizerFactory.Create(net, Options());
        OptimizerFactory.Apply(optimizer, decay, lr: 0.1, weightDecay: 0.3);
        var before = net.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

        optimizer.zero_grad();
        var zero = net.parameters().Where(p => p.requires_grad).Select(p => (p * 0).sum()).Aggregate((a, b) => a + b);
        zero.backward();
        optimizer.step();

        foreach (var (name, param) in net.named_parameters())
        {
            var expected = name == "fc.weight" ? before[name] * (1 - 0.1 * 0.3) : before[name];
            Assert.True((param - expected).abs().max().item<float>() < 1e-6, name);
        }
    }

    [Fact]
    public void A_model_without_trainable_parameters_is_rejected()
    {
        using var frozen = nn.Linear(2, 2);
        foreach (var p in frozen.parameters()) p.requires_grad = false;
        Assert.Throws<InvalidOperationException>(() => OptimizerFactory.Create(frozen, Options()));
    }
}
