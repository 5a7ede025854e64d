using System.Diagnostics;
using Scott.Lab.Abstractions.Models;
using Scott.Lab.Engine.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Engine.Benchmarks;

/// <summary>One op of <c>scott-lab bench ops</c>: forward + backward in fp32 and in bf16, best of the repeats.</summary>
/// <param name="Bf16Ms">Through <see cref="Precision"/> where the op has a helper (the casts included), else the op on bf16 tensors.</param>
public sealed record OpTiming(string Op, string Shape, double Fp32Ms, double Bf16Ms, double Speedup);

/// <summary>
/// Times every kind of op of a training step at the run's own shapes (batch, tokens, width, heads, FFN, the
/// tokenizer's first conv), fp32 against bf16, so that which ops run in bf16 is chosen from numbers
/// (<see cref="Precision"/>). Best of <c>repeats</c> per op, so that another process's burst counts less.
/// </summary>
public static class PrecisionOpsBenchmark
{
    public static IReadOnlyList<OpTiming> Run(AssembledRun run, int repeats)
    {
        var spec = run.Spec;
        var device = run.Device;
        var encoder = run.Objective.Encoder;
        long b = spec.Trainer.BatchSize, t = encoder.NumTokens, d = spec.Model.Width, heads = spec.Model.Heads;
        long hidden = spec.Model.Ffn == "mlp" ? 4 * d : spec.Model.SwiGluHidden;
        var results = new List<OpTiming>();

        void Linear(string name, long inFeatures, long outFeatures)
        {
            using var layer = nn.Linear(inFeatures, outFeatures, hasBias: false, device: device);
            results.Add(Time(name, $"{b * t}x{inFeatures} -> {outFeatures}", repeats, device,
                () => randn(new[] { b * t, inFeatures }, device: device, requires_grad: true),
                (x, bf16) => { using var _ = Precision.Use(bf16 ? ScalarType.BFloat16 : ScalarType.Float32); return Precision.Linear(layer, x); }));
        }

        Linear("linear qkv", d, 3 * d);
        Linear("linear attention proj", d, d);
        if (spec.Model.Ffn == "mlp")
        {
            Linear("linear mlp fc1", d, hidden);
            Linear("linear mlp fc2", hidden, d);
        }
        else
        {
            Linear("linear swiglu w12", d, 2 * hidden);
            Linear("linear swiglu w3", hidden, d);
        }

        // The tokenizer's first convolution on the images; its depthwise 3×3 blur (MaxBlurPool) after it.
        var conv = encoder.modules().OfType<Conv2d>().FirstOrDefault();
        if (conv is not null && conv.padding is not null)
        {
            long side = spec.Model.ImageSize, cin = conv.in_channels, cout = conv.out_channels;
            var convOnDevice = conv; // the run's own module: weights as trained
            results.Add(Time("conv (tokenizer, first)", $"{b}x{cin}x{side}² -> {cout}, {conv.kernel_size[0]}x{conv.kernel_size[1]} s{conv.stride[0]}", repeats, device,
                () => randn(new[] { b, cin, side, side }, device: device, requires_grad: true),
                (x, bf16) => { using var _ = Precision.Use(bf16 ? ScalarType.BFloat16 : ScalarType.Float32); return Precision.Conv2d(convOnDevice, x); }));
            long convSide = (side + 2 * conv.padding[0] - conv.kernel_size[0]) / conv.stride[0] + 1 - 1; // after the 2×2 stride-1 max
            using var blur = ones(new[] { cout, 1L, 3, 3 }, device: device) / 16;
            results.Add(Time("depthwise blur conv", $"{b}x{cout}x{convSide}², 3x3 s2", repeats, device,
                () => randn(new[] { b, cout, convSide, convSide }, device: device, requires_grad: true),
                (x, bf16) => { using var _ = Precision.Use(bf16 ? ScalarType.BFloat16 : ScalarType.Float32); return Precision.Conv2d(x, blur, null, [2, 2], [1, 1], groups: cout); }));
            results.Add(Time("max pool 2x2 s1", $"{b}x{cout}x{convSide + 1}²", repeats, device,
                () => randn(new[] { b, cout, convSide + 1, convSide + 1 }, device: device, requires_grad: true),
                (x, bf16) => F.max_pool2d(bf16 ? x.to(ScalarType.BFloat16) : x, [2, 2], [1, 1])));
        }

        // Ops without a Precision helper: timed on bf16 tensors (a cast in front, as bf16 activations would need).
        var normShape = new[] { d };
        results.Add(Time("layer norm", $"{b}x{t}x{d}", repeats, device,
            () => randn(new[] { b, t, d }, device: device, requires_grad: true),
            (x, bf16) => F.layer_norm(bf16 ? x.to(ScalarType.BFloat16) : x, normShape)));
        results.Add(Time("scaled dot-product attention", $"{b}x{heads}x{t}x{d / heads}", repeats, device,
            () => randn(new[] { 3, b, heads, t, d / heads }, device: device, requires_grad: true),
            (x, bf16) => { var y = bf16 ? x.to(ScalarType.BFloat16) : x; return F.scaled_dot_product_attention(y[0], y[1], y[2]); }));
        double scale = 1 / Math.Sqrt(d / heads);
        results.Add(Time("attention, explicit (bf16: both matmuls; softmax fp32)", $"{b}x{heads}x{t}x{d / heads}", repeats, device,
            () => randn(new[] { 3, b, heads, t, d / heads }, device: device, requires_grad: true),
            (x, bf16) =>
            {
                var y = bf16 ? x.to(ScalarType.BFloat16) : x;
                var weights = (y[0].matmul(y[1].transpose(-2, -1)).to(ScalarType.Float32) * scale).softmax(-1);
                return weights.to(y.dtype).matmul(y[2]).to(ScalarType.Float32);
            }));
        results.Add(Time("silu(a)*b (swiglu gate)", $"{b}x{t}x{hidden}", repeats, device,
            () => randn(new[] { 2, b, t, hidden }, device: device, requires_grad: true),
            (x, bf16) => { var y = bf16 ? x.to(ScalarType.BFloat16) : x; return F.silu(y[0]) * y[1]; }));
        results.Add(Time("cast fp32 -> bf16 -> fp32 (fp32: a copy)", $"{b}x{t}x{d}", repeats, device,
            () => randn(new[] { b, t, d }, device: device, requires_grad: true),
            (x, bf16) => bf16 ? x.to(ScalarType.BFloat16).to(ScalarType.Float32) : x * 1));
        return results;
    }

    /// <summary>Best forward + backward time of <paramref name="op"/> in fp32 and in bf16 (after one warm-up of each).</summary>
    private static OpTiming Time(string name, string shape, int repeats, Device device, Func<Tensor> input, Func<Tensor, bool, Tensor> op)
    {
        double Best(bool bf16)
        {
            double best = double.MaxValue;
            for (int i = 0; i <= repeats; i++)
            {
                using var scope = NewDisposeScope();
                var x = input();
                var clock = Stopwatch.StartNew();
                var y = op(x, bf16);
                y.sum().backward();
                if (device.type == DeviceType.CUDA) cuda.synchronize();
                if (i > 0) best = Math.Min(best, clock.Elapsed.TotalMilliseconds); // i = 0 warms up
            }
            return best;
        }
        double fp32 = Best(false), bf16 = Best(true);
        return new OpTiming(name, shape, Math.Round(fp32, 2), Math.Round(bf16, 2), Math.Round(fp32 / bf16, 2));
    }
}
