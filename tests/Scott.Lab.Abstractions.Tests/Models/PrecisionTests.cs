using Scott.Lab.Tests.Shared;
using Scott.Lab.Abstractions.Models;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Abstractions.Tests.Models;

public sealed class PrecisionTests
{
    private static (TorchSharp.Modules.Linear layer, Tensor x) Layer()
    {
        manual_seed(3);
        return (nn.Linear(24, 40), randn(64, 24));
    }

    [Fact]
    public void Outside_a_scope_the_helpers_are_the_modules_own_forward()
    {
        var (layer, x) = Layer();
        Assert.Equal(ScalarType.Float32, Precision.ComputeType);
        Assert.True(TensorAssert.Same(layer.forward(x), Precision.Linear(layer, x)));
        using var conv = nn.Conv2d(3, 8, 5, stride: 2, padding: 2, bias: false);
        var image = randn(2, 3, 16, 16);
        Assert.True(TensorAssert.Same(conv.forward(image), Precision.Conv2d(conv, image)));
    }

    [Fact]
    public void In_bf16_a_linear_computes_on_bf16_copies_and_answers_in_fp32()
    {
        var (layer, x) = Layer();
        var fp32 = layer.forward(x);
        Tensor mixed, kept;
        using (Precision.Use(Precision.Bf16))
        {
            Assert.Equal(ScalarType.BFloat16, Precision.ComputeType);
            mixed = Precision.Linear(layer, x);
            kept = Precision.Linear(layer, x, keepCompute: true);
            Assert.Equal(ScalarType.Float32, Precision.ToFp32(kept).dtype);
        }
        Assert.Equal(ScalarType.Float32, Precision.ComputeType); // the scope is over
        Assert.Equal(ScalarType.Float32, mixed.dtype);
        Assert.Equal(ScalarType.BFloat16, kept.dtype);
        var expected = F.linear(x.to(ScalarType.BFloat16), layer.weight!.to(ScalarType.BFloat16), layer.bias!.to(ScalarType.BFloat16)).to(ScalarType.Float32);
        Assert.True(TensorAssert.Same(expected, mixed));
        Assert.False(TensorAssert.Same(fp32, mixed), "bf16 rounding must show: the op did not run in bf16");
        // bf16 keeps 8 significant bits: relative error per product about 2^-9, far below 2^-5 on these sums.
        Assert.True((mixed - fp32).abs().max().item<float>() < fp32.abs().max().item<float>() / 32);
    }

    [Fact]
    public void Gradients_reach_the_fp32_master_weights_in_fp32()
    {
        var (layer, x) = Layer();
        layer.forward(x).square().mean().backward();
        var fp32Grad = layer.weight!.grad!.clone();
        layer.zero_grad();
        using (Precision.Use(Precision.Bf16)) Precision.Linear(layer, x).square().mean().backward();
        var grad = layer.weight!.grad!;
        Assert.Equal(ScalarType.Float32, layer.weight!.dtype);
        Assert.Equal(ScalarType.Float32, grad.dtype);
        double relative = (grad - fp32Grad).norm().item<float>() / fp32Grad.norm().item<float>();
        Assert.InRange(relative, 1e-6, 2e-2); // rounded (not identical), yet the same gradient
    }

    [Fact]
    public void A_bf16_conv_matches_its_bf16_reference_and_a_sequential_routes_its_linears()
    {
        manual_seed(4);
        using var conv = nn.Conv2d(1, 8, 5, stride: 2, padding: 2, bias: false);
        var image = randn(2, 1, 28, 28);
        using var head = nn.Sequential(nn.SiLU(), nn.LayerNorm(24), nn.Linear(24, 24));
        var tokens = randn(4, 24);
        using (Precision.Use(Precision.Bf16))
        {
            var expected = F.conv2d(image.to(ScalarType.BFloat16), conv.weight.to(ScalarType.BFloat16), strides: [2, 2], padding: [2, 2]);
            Assert.True(TensorAssert.Same(expected, Precision.Conv2d(conv, image, keepCompute: true)));
            var viaSequential = Precision.Sequential(head, tokens);
            Assert.Equal(ScalarType.Float32, viaSequential.dtype);
            Assert.False(TensorAssert.Same(viaSequential, head.forward(tokens)), "the Sequential's Linear must run in bf16");
        }
        Assert.True(TensorAssert.Same(Precision.Sequential(head, tokens), head.forward(tokens)));
    }

    [Fact]
    public void The_scope_belongs_to_its_thread_and_unknown_names_say_what_is_allowed()
    {
        using (Precision.Use(Precision.Bf16))
        {
            var other = ScalarType.BFloat16;
            var thread = new Thread(() => other = Precision.ComputeType);
            thread.Start();
            thread.Join();
            Assert.Equal(ScalarType.Float32, other);
        }
        var error = Assert.Throws<ArgumentException>(() => Precision.Parse("fp16"));
        Assert.Contains("fp32, bf16", error.Message);
    }
}
