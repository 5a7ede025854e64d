using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Abstractions.Models;

/// <summary>
/// Mixed precision by hand, because TorchSharp has no autocast. The trainer opens a <see cref="Use(string)"/> scope
/// around the forward pass; inside it, the matmuls and convolutions that go through <see cref="Linear"/> and
/// <see cref="Conv2d(Conv2d, Tensor)"/> run in the compute dtype (bf16) on bf16 copies of the input and of the fp32
/// master weights, and hand their output back in fp32 (or keep it in bf16 for a next op that is faster there too). Everything else stays fp32: LayerNorm,
/// softmax and attention, the losses, the EMA update, the probes. The casts are differentiable, so the gradients reach
/// the master weights as fp32 and the optimiser state and checkpoints never see bf16. Outside a scope (evaluation,
/// maps, an fp32 run) both helpers are exactly the module's own forward.
/// <para>Which ops run in bf16 was chosen op by op from <c>scott-lab bench ops</c> (README, "Mixed precision").</para>
/// </summary>
public static class Precision
{
    public const string Fp32 = "fp32", Bf16 = "bf16";

    /// <summary>The values <c>trainer.precision</c> accepts.</summary>
    public static readonly IReadOnlyList<string> Names = [Fp32, Bf16];

    // Thread-static like TorchSharp's dispose scopes: a run trains on one thread, and an evaluation on another
    // thread of the same process must not inherit the trainer's precision.
    [ThreadStatic] private static ScalarType? _compute;

    /// <summary>The dtype matmuls and convolutions run in on this thread: float32 outside a <see cref="Use(string)"/> scope.</summary>
    public static ScalarType ComputeType => _compute ?? ScalarType.Float32;

    /// <summary>The dtype of a <c>trainer.precision</c> name.</summary>
    public static ScalarType Parse(string name) => name switch
    {
        Fp32 => ScalarType.Float32,
        Bf16 => ScalarType.BFloat16,
        _ => throw new ArgumentException($"Unknown precision '{name}'; use one of {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>Runs matmuls and convolutions in <paramref name="name"/>'s dtype on this thread until disposed.</summary>
    public static IDisposable Use(string name) => Use(Parse(name));

    /// <inheritdoc cref="Use(string)"/>
    public static IDisposable Use(ScalarType compute)
    {
        var previous = _compute;
        _compute = compute == ScalarType.Float32 ? null : compute;
        return new Restore(previous);
    }

    /// <summary>
    /// <paramref name="layer"/>'s forward; inside a scope in the compute dtype, output in fp32, or left in the compute
    /// dtype with <paramref name="keepCompute"/> for ops that are faster there too (the next Linear takes it as is).
    /// </summary>
    public static Tensor Linear(Linear layer, Tensor input, bool keepCompute = false) =>
        Reduces(input, out var dtype)
            ? Output(F.linear(input.to(dtype), layer.weight!.to(dtype), layer.bias?.to(dtype)), keepCompute)
            : layer.forward(input);

    /// <summary><paramref name="conv"/>'s forward, as <see cref="Linear"/> (zero padding only).</summary>
    public static Tensor Conv2d(Conv2d conv, Tensor input, bool keepCompute = false)
    {
        if (!Reduces(input, out _)) return conv.forward(input);
        if (conv.padding is null || conv.padding_mode != PaddingModes.Zeros)
            throw new NotSupportedException("Precision.Conv2d supports zero padding given as numbers; use conv.forward for other padding.");
        return Conv2d(input, conv.weight, conv.bias, conv.stride, conv.padding, conv.dilation, conv.groups, keepCompute);
    }

    /// <summary>F.conv2d, as <see cref="Linear"/>.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, long[] strides, long[] padding, long[]? dilation = null, long groups = 1, bool keepCompute = false) =>
        Reduces(input, out var dtype)
            ? Output(F.conv2d(input.to(dtype), weight.to(dtype), bias?.to(dtype), strides, padding, dilation, groups), keepCompute)
            : F.conv2d(input, weight, bias, strides, padding, dilation, groups);

    /// <summary>A tensor left in the compute dtype (<c>keepCompute</c>) back in fp32; any other tensor as it is.</summary>
    public static Tensor ToFp32(Tensor x) =>
        ComputeType != ScalarType.Float32 && x.dtype == ComputeType ? x.to(ScalarType.Float32) : x;

    /// <summary><paramref name="sequential"/>'s forward, with its Linear and Conv2d children through the helpers above.</summary>
    public static Tensor Sequential(Sequential sequential, Tensor input)
    {
        var x = input;
        foreach (var child in sequential.children())
            x = child switch
            {
                TorchSharp.Modules.Linear linear => Linear(linear, x),
                TorchSharp.Modules.Conv2d conv => Conv2d(conv, x),
                nn.Module<Tensor, Tensor> module => module.forward(x),
                _ => throw new NotSupportedException($"{child.GetType().Name} in a Sequential does not map a tensor to a tensor."),
            };
        return x;
    }

    // Only fp32 inputs (and those already in the compute dtype) are lowered: a float64 test keeps its own arithmetic.
    private static bool Reduces(Tensor input, out ScalarType dtype)
    {
        dtype = ComputeType;
        return dtype != ScalarType.Float32 && (input.dtype == ScalarType.Float32 || input.dtype == dtype);
    }

    private static Tensor Output(Tensor y, bool keepCompute) => keepCompute ? y : y.to(ScalarType.Float32);

    private sealed class Restore(ScalarType? previous) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            _compute = previous;
        }
    }
}
