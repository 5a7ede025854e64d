using Scott.Lab.Abstractions.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Evaluation;

/// <summary>Linear classifier on one feature vector per image (B, D) → (B, C).</summary>
public sealed class LinearHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc;

    public LinearHead(long dim, long classes) : base(nameof(LinearHead))
    {
        fc = nn.Linear(dim, classes);
        using (no_grad()) nn.init.zeros_(fc.bias!);
        RegisterComponents();
    }

    public override Tensor forward(Tensor features) => fc.forward(features);
}

/// <summary>
/// Simple attentive probe: a learned softmax pooling over the tokens (one score per token from a linear map,
/// zero-initialised so that it starts as the mean pool), then a linear classifier. (B, T, D) → (B, C).
/// With <c>dropout</c> (the paper protocol's simple attentive probe): dropout on the tokens the scores are computed
/// from, and on the pooling weights while training. Parameters: D + 1 + D·C + C.
/// </summary>
public sealed class AttentivePoolingHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear score, fc;
    private readonly Dropout scoreInput, weightDropout;

    public AttentivePoolingHead(long dim, long classes, double dropout = 0) : base(nameof(AttentivePoolingHead))
    {
        score = nn.Linear(dim, 1);
        fc = nn.Linear(dim, classes);
        scoreInput = nn.Dropout(dropout);
        weightDropout = nn.Dropout(dropout);
        using (no_grad())
        {
            nn.init.zeros_(score.weight!); // starts as the mean pool
            nn.init.zeros_(fc.bias!);
        }
        RegisterComponents();
    }

    public static long ParameterCount(long dim, long classes) => dim + 1 + dim * classes + classes;

    public override Tensor forward(Tensor tokens)
    {
        var weights = weightDropout.forward(score.forward(scoreInput.forward(tokens)).softmax(1)); // (B, T, 1)
        return fc.forward((weights * tokens).sum(1));
    }
}

/// <summary>
/// Cross-attention probe with one learnable query (V-JEPA's attentive probe, Bardes et al. 2024, without its MLP):
/// multi-head attention of the query over the tokens, a residual to the query, LayerNorm, then a linear classifier. (B, T, D) → (B, C).
/// With a single query, attention can be computed without projecting every token: the query-key score of head h
/// is x_t · (W_k,hᵀ q_h), and because the weights sum to one, W_v,h Σ_t a_t x_t = Σ_t a_t W_v,h x_t. This is exactly
/// the usual formulation (the key bias only shifts every score of a head equally, so it is left out), at T times
/// fewer FLOPs: it is what makes 60k-image probes affordable on a CPU.
/// </summary>
public sealed class CrossAttentionHead : nn.Module<Tensor, Tensor>
{
    private readonly Parameter query;
    private readonly Linear q_proj, v_proj, out_proj, fc;
    private readonly Parameter k_weight;
    private readonly LayerNorm norm;
    private readonly long _heads, _headDim, _dim;

    public CrossAttentionHead(long dim, long heads, long classes) : base(nameof(CrossAttentionHead))
    {
        if (dim % heads != 0) throw new ArgumentException($"Probe width {dim} is not divisible by {heads} heads.");
        (_dim, _heads, _headDim) = (dim, heads, dim / heads);
        query = nn.Parameter(empty(dim));
        WeightInit.TruncatedNormal_(query, 0.02);
        q_proj = nn.Linear(dim, dim);
        k_weight = nn.Parameter(empty(dim, dim));
        using (no_grad()) nn.init.kaiming_uniform_(k_weight, Math.Sqrt(5));
        v_proj = nn.Linear(dim, dim);
        out_proj = nn.Linear(dim, dim);
        norm = nn.LayerNorm(dim);
        fc = nn.Linear(dim, classes);
        using (no_grad()) nn.init.zeros_(fc.bias!);
        RegisterComponents();
    }

    public override Tensor forward(Tensor tokens)
    {
        long batch = tokens.shape[0];
        var q = q_proj.forward(query).view(_heads, _headDim);                                     // (H, dh)
        var keysOfQuery = einsum("he,hed->hd", q, k_weight.view(_heads, _headDim, _dim));          // (H, D)
        var scores = matmul(tokens, keysOfQuery.t()) / Math.Sqrt(_headDim);                        // (B, T, H)
        var weights = scores.softmax(1);
        var pooled = matmul(weights.transpose(1, 2), tokens);                                       // (B, H, D)
        var values = einsum("bhd,hed->bhe", pooled, v_proj.weight!.view(_heads, _headDim, _dim))
                     + v_proj.bias!.view(_heads, _headDim);                                          // (B, H, dh)
        var attended = out_proj.forward(values.reshape(batch, _dim));
        return fc.forward(norm.forward(attended + query));
    }
}
