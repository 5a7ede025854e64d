using Scott.Lab.Abstractions.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Engine.Models;

/// <summary>Multi-head self-attention: qkv Linear(D, 3D) and proj Linear(D, D), both without bias.</summary>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    private readonly Linear qkv, proj;
    private readonly Dropout projDrop;
    private readonly int _heads;
    private readonly double _attnDropout;

    public Attention(int dim, int heads, double attnDropout, double projDropout) : base(nameof(Attention))
    {
        _heads = heads;
        _attnDropout = attnDropout;
        qkv = nn.Linear(dim, dim * 3, hasBias: false);
        proj = nn.Linear(dim, dim, hasBias: false);
        projDrop = nn.Dropout(projDropout);
        RegisterComponents();
    }

    public Linear Projection => proj;

    public override Tensor forward(Tensor x)
    {
        var (q, k, v) = SplitHeads(x);
        var attended = F.scaled_dot_product_attention(q, k, v, p: training ? _attnDropout : 0.0);
        return projDrop.forward(Precision.Linear(proj, MergeHeads(attended)));
    }

    /// <summary>softmax(QKᵀ/√d) per head, (B, heads, T, T), computed explicitly (the fused kernel returns no weights).</summary>
    public Tensor AttentionWeights(Tensor x)
    {
        var (q, k, _) = SplitHeads(x);
        return (q.matmul(k.transpose(-2, -1)) / Math.Sqrt(q.shape[^1])).softmax(-1);
    }

    private (Tensor q, Tensor k, Tensor v) SplitHeads(Tensor x)
    {
        long b = x.shape[0], t = x.shape[1], d = x.shape[2];
        var parts = Precision.Linear(qkv, x).view(b, t, 3, _heads, d / _heads).permute(2, 0, 3, 1, 4);
        return (parts[0], parts[1], parts[2]);
    }

    private static Tensor MergeHeads(Tensor x)
    {
        long b = x.shape[0], h = x.shape[1], t = x.shape[2], dh = x.shape[3];
        return x.transpose(1, 2).reshape(b, t, h * dh);
    }

    public static long FlopsPerImage(long tokens, long dim) => 2 * tokens * dim * 3 * dim + 2 * 2 * tokens * tokens * dim + 2 * tokens * dim * dim;
}

/// <summary>SwiGLU: Linear(D, 2H) → SiLU(a)·b → Linear(H, D), no biases.</summary>
public sealed class SwiGlu : nn.Module<Tensor, Tensor>
{
    private readonly Linear w12, w3;

    public SwiGlu(int dim, int hidden) : base(nameof(SwiGlu))
    {
        w12 = nn.Linear(dim, 2 * hidden, hasBias: false);
        w3 = nn.Linear(hidden, dim, hasBias: false);
        RegisterComponents();
    }

    public Linear Output => w3;

    public override Tensor forward(Tensor x)
    {
        // In bf16 the gate stays in bf16 too (measured 2× faster than in fp32, and it saves two casts).
        var ab = Precision.Linear(w12, x, keepCompute: true).chunk(2, -1);
        return Precision.Linear(w3, F.silu(ab[0]) * ab[1]);
    }

    public static long FlopsPerImage(long tokens, long dim, long hidden) => 2 * tokens * dim * 2 * hidden + 2 * tokens * hidden * dim;
}

/// <summary>MLP: Linear(D, 4D) → GELU → Linear(4D, D), no biases.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1, fc2;

    public Mlp(int dim, int hidden) : base(nameof(Mlp))
    {
        fc1 = nn.Linear(dim, hidden, hasBias: false);
        fc2 = nn.Linear(hidden, dim, hasBias: false);
        RegisterComponents();
    }

    public Linear Output => fc2;

    public override Tensor forward(Tensor x) => Precision.Linear(fc2, F.gelu(Precision.Linear(fc1, x, keepCompute: true)));

    public static long FlopsPerImage(long tokens, long dim, long hidden) => 2 * 2 * tokens * dim * hidden;
}

/// <summary>Stochastic depth: drops the whole residual branch per sample with probability <c>rate</c> while training.</summary>
public sealed class DropPath : nn.Module<Tensor, Tensor>
{
    private readonly double _rate;

    public DropPath(double rate) : base(nameof(DropPath)) => _rate = rate;

    public override Tensor forward(Tensor x)
    {
        if (!training || _rate <= 0) return x;
        double keep = 1 - _rate;
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[0] = x.shape[0];
        var mask = torch.empty(shape, dtype: x.dtype, device: x.device).bernoulli_(keep);
        return x * mask / keep;
    }
}

/// <summary>
/// The reference block: x = x + DropPath(Attn(LN(x))); x = LN(x); x = x + DropPath(FFN(x)).
/// All LayerNorms are non-affine; the residual stream itself is normalised between the two halves.
/// </summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly Attention attn;
    private readonly nn.Module<Tensor, Tensor> ffn;
    private readonly DropPath dropPath;
    private readonly long[] _normShape;

    public TransformerBlock(ModelOptions model, double dropPathRate) : base(nameof(TransformerBlock))
    {
        _normShape = new long[] { model.Width };
        attn = new Attention(model.Width, model.Heads, model.AttnDropout, model.Dropout);
        ffn = model.Ffn == "mlp" ? new Mlp(model.Width, 4 * model.Width) : new SwiGlu(model.Width, model.SwiGluHidden);
        dropPath = new DropPath(dropPathRate);
        RegisterComponents();
    }

    public Attention Attention => attn;

    /// <summary>The FFN's last linear, whose init is rescaled by depth.</summary>
    public Linear FfnOutput => ffn is SwiGlu s ? s.Output : ((Mlp)ffn).Output;

    public override Tensor forward(Tensor x)
    {
        x = x + dropPath.forward(attn.forward(Norm(x)));
        x = Norm(x);
        return x + dropPath.forward(ffn.forward(x));
    }

    /// <summary>The attention weights this block computes for input <paramref name="x"/>.</summary>
    public Tensor AttentionWeights(Tensor x) => attn.AttentionWeights(Norm(x));

    private Tensor Norm(Tensor x) => F.layer_norm(x, _normShape);

    public static long FlopsPerImage(ModelOptions model, long tokens)
    {
        long ffnFlops = model.Ffn == "mlp" ? Mlp.FlopsPerImage(tokens, model.Width, 4L * model.Width)
                                           : SwiGlu.FlopsPerImage(tokens, model.Width, model.SwiGluHidden);
        return Attention.FlopsPerImage(tokens, model.Width) + ffnFlops;
    }
}
