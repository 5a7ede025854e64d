using Scott.Lab.Tests.Shared;
using Scott.Lab.Abstractions.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Abstractions.Tests.Models;

public class ModuleEmaTests
{
    private static Dictionary<string, Tensor> Snapshot(nn.Module module) =>
        module.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

    [Theory]
    [InlineData(0.9)]
    [InlineData(0.996)]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void Update_moves_every_parameter_by_the_EMA_formula(double m)
    {
        manual_seed(1);
        using var target = nn.Linear(5, 3);
        using var source = nn.Linear(5, 3);
        var old = Snapshot(target);
        var src = Snapshot(source);
        Assert.Equal(2, old.Count);

        ModuleEma.Update(target, source, m);

        foreach (var (name, param) in target.named_parameters())
        {
            var expected = old[name] * m + src[name] * (1 - m);
            Assert.True((param - expected).abs().max().item<float>() < 1e-6, name);
        }
        // The source is untouched.
        foreach (var (name, param) in source.named_parameters())
            Assert.True(TensorAssert.Same(param, src[name]), name);
    }

    [Fact]
    public void Update_rejects_momentum_outside_0_1_and_mismatched_architectures()
    {
        using var a = nn.Linear(2, 2);
        using var b = nn.Linear(2, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModuleEma.Update(a, b, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModuleEma.Update(a, b, -0.1));
        using var noBias = nn.Linear(2, 2, hasBias: false);
        Assert.Throws<InvalidOperationException>(() => ModuleEma.Update(a, noBias, 0.5));
    }

    [Fact]
    public void Update_also_moves_floating_buffers()
    {
        using var target = nn.BatchNorm1d(3);
        using var source = nn.BatchNorm1d(3);
        using (no_grad())
        {
            source.train();
            source.forward(randn(16, 3) * 2 + 5); // running_mean moves towards 5
        }
        var sourceMean = source.named_buffers().Single(b => b.name == "running_mean").buffer.clone();
        var oldMean = target.named_buffers().Single(b => b.name == "running_mean").buffer.clone();
        Assert.False(sourceMean.allclose(oldMean));

        ModuleEma.Update(target, source, 0.5);

        var newMean = target.named_buffers().Single(b => b.name == "running_mean").buffer;
        Assert.True(newMean.allclose(oldMean * 0.5 + sourceMean * 0.5, 1e-5, 1e-6));
    }

    [Fact]
    public void CopyWeights_makes_the_target_equal_and_Freeze_turns_gradients_off()
    {
        using var target = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4), nn.Linear(4, 2));
        using var source = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4), nn.Linear(4, 2));
        using (no_grad()) foreach (var p in source.parameters()) p.add_(randn_like(p));
        var before = Snapshot(source);
        Assert.Contains(target.named_parameters(), p => !TensorAssert.Same(p.parameter, before[p.name]));

        ModuleEma.CopyWeights(target, source);

        var src = Snapshot(source);
        foreach (var (name, param) in target.named_parameters())
            Assert.True(TensorAssert.Same(param, src[name]), name);

        Assert.All(target.parameters(), p => Assert.True(p.requires_grad));
        ModuleEma.Freeze(target);
        Assert.All(target.parameters(), p => Assert.False(p.requires_grad));
        Assert.All(source.parameters(), p => Assert.True(p.requires_grad));
    }

    [Theory]
    [InlineData(0, 0.996)]
    [InlineData(50, 0.998)]
    [InlineData(100, 1.0)]
    [InlineData(500, 1.0)]
    public void LinearMomentum_rises_linearly_from_start_at_step_0_to_end_at_the_last_step(long step, double expected)
    {
        // 101 steps: the last is step 100, the midpoint step 50.
        Assert.Equal(expected, ModuleEma.LinearMomentum(0.996, 1.0, step, 101), 12);
    }

    [Fact]
    public void LinearMomentum_of_a_one_step_run_is_the_end_value()
    {
        Assert.Equal(1.0, ModuleEma.LinearMomentum(0.996, 1.0, 0, 1));
    }
}
