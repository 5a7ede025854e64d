using Scott.Lab.Abstractions.Models;
using Scott.Lab.Engine.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Engine.Evaluation;

/// <summary>
/// The paper's multi-head attentive probe, (B, T, D) → (B, C). Each of H heads scores every token (one Linear(D, H)
/// on the dropped-out tokens) and takes a softmax over the tokens; the tokens are projected (Linear(D, D) →
/// LayerNorm) and split into H slices of D/H channels; head h pools its slice with its weights, and the H pooled
/// slices, concatenated back to D, go through SiLU → Linear(D, D) → LayerNorm → SiLU → Linear(D, C).
/// Dropout: on the tokens before the scores and before the projection, and on the pooling weights (training only).
/// Parameters: D·H + H + 2·(D² + D) + 2·2D + D·C + C (<see cref="ParameterCount"/>).
/// </summary>
public sealed class MultiHeadAttentiveHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear importance, projector, hidden, fc;
    private readonly LayerNorm projectorNorm, hiddenNorm;
    private readonly Dropout importanceInput, projectorInput, weightDropout;
    private readonly long _heads;

    public MultiHeadAttentiveHead(long dim, long heads, long classes, double dropout) : base(nameof(MultiHeadAttentiveHead))
    {
        if (heads < 1 || dim % heads != 0) throw new ArgumentException($"Probe width {dim} is not divisible by {heads} heads.");
        _heads = heads;
        importance = nn.Linear(dim, heads);
        projector = nn.Linear(dim, dim);
        projectorNorm = nn.LayerNorm(dim);
        hidden = nn.Linear(dim, dim);
        hiddenNorm = nn.LayerNorm(dim);
        fc = nn.Linear(dim, classes);
        importanceInput = nn.Dropout(dropout);
        projectorInput = nn.Dropout(dropout);
        weightDropout = nn.Dropout(dropout);
        RegisterComponents();
    }

    public static long ParameterCount(long dim, long heads, long classes) =>
        dim * heads + heads + 2 * (dim * dim + dim) + 2 * 2 * dim + dim * classes + classes;

    /// <summary>The H pooled slices, concatenated: (B, D).</summary>
    public Tensor Pool(Tensor tokens)
    {
        long batch = tokens.shape[0], count = tokens.shape[1], dim = tokens.shape[2];
        var weights = weightDropout.forward(importance.forward(importanceInput.forward(tokens)).softmax(1)); // (B, T, H)
        var embedded = projectorNorm.forward(projector.forward(projectorInput.forward(tokens)))
            .view(batch, count, _heads, dim / _heads);                                                          // (B, T, H, D/H)
        return einsum("bth,bthe->bhe", weights, embedded).reshape(batch, dim);
    }

    public override Tensor forward(Tensor tokens) =>
        fc.forward(F.silu(hiddenNorm.forward(hidden.forward(F.silu(Pool(tokens))))));
}

/// <summary>
/// The paper's cross-attention probe, (B, T, D) → (B, C): one learnable query attends over the tokens with H heads
/// (q Linear(D, D), kv Linear(D, 2D), proj Linear(D, D), no biases; LayerNorm on the keys' and values' input),
/// then, as a pre-norm transformer block would, a residual to the query, LayerNorm, a residual SwiGLU FFN
/// (hidden 128·round(8D/3/128)), and a final LayerNorm before Linear(D, C). Dropout on the attention weights and after
/// proj. Linear weights: truncated normal (std 0.02), biases 0. Parameters: <see cref="ParameterCount"/>.
/// With one query the keys need not be computed token by token: the score of token t in head h is
/// x_t · (W_k,hᵀ q_h), and, the weights of a head being linear in the values, Σ_t a_t W_v,h x_t = W_v,h Σ_t a_t x_t.
/// Same result as projecting every token, at T times fewer FLOPs (what makes it affordable on a CPU).
/// </summary>
public sealed class PaperCrossAttentionHead : nn.Module<Tensor, Tensor>
{
    private readonly Parameter query;
    private readonly Linear q, kv, proj, fc;
    private readonly LayerNorm keyValueNorm, norm, outputNorm;
    private readonly SwiGlu ffn;
    private readonly Dropout attnDropout, projDropout;
    private readonly long _heads, _headDim, _dim;

    public PaperCrossAttentionHead(long dim, long heads, long classes, double dropout) : base(nameof(PaperCrossAttentionHead))
    {
        if (heads < 1 || dim % heads != 0) throw new ArgumentException($"Probe width {dim} is not divisible by {heads} heads.");
        (_dim, _heads, _headDim) = (dim, heads, dim / heads);
        query = nn.Parameter(zeros(dim));
        q = nn.Linear(dim, dim, hasBias: false);
        kv = nn.Linear(dim, 2 * dim, hasBias: false);
        proj = nn.Linear(dim, dim, hasBias: false);
        keyValueNorm = nn.LayerNorm(dim);
        norm = nn.LayerNorm(dim);
        ffn = new SwiGlu((int)dim, SwiGluHidden(dim));
        outputNorm = nn.LayerNorm(dim);
        fc = nn.Linear(dim, classes);
        attnDropout = nn.Dropout(dropout);
        projDropout = nn.Dropout(dropout);
        RegisterComponents();
        using (no_grad())
        {
            WeightInit.TruncatedNormal_(query, 0.02);
            foreach (var (name, p) in named_parameters())
                if (name.EndsWith("weight") && p.dim() == 2) WeightInit.TruncatedNormal_(p, 0.02);
            nn.init.zeros_(fc.bias!);
        }
    }

    /// <summary>The encoder's SwiGLU width rule: 128·round(8D/3/128), at least 128.</summary>
    public static int SwiGluHidden(long dim) => new ModelOptions { Width = (int)dim }.SwiGluHidden;

    public static long ParameterCount(long dim, long classes)
    {
        long ffnHidden = SwiGluHidden(dim);
        return dim                          // query
               + 4 * dim * dim              // q, kv (2D), proj
               + 3 * 2 * dim                // three LayerNorms
               + 3 * dim * ffnHidden        // SwiGLU: D → 2H, H → D
               + dim * classes + classes;   // classifier
    }

    public override Tensor forward(Tensor tokens)
    {
        long batch = tokens.shape[0];
        var x = keyValueNorm.forward(tokens);                                                      // (B, T, D)
        var queries = q.forward(query).view(_heads, _headDim);                                     // (H, dh)
        var keyWeight = kv.weight!.narrow(0, 0, _dim).view(_heads, _headDim, _dim);                // (H, dh, D)
        var valueWeight = kv.weight!.narrow(0, _dim, _dim).view(_heads, _headDim, _dim);
        var keysOfQuery = einsum("he,hed->hd", queries, keyWeight);                                // (H, D)
        var weights = attnDropout.forward((matmul(x, keysOfQuery.t()) / Math.Sqrt(_headDim)).softmax(1)); // (B, T, H)
        var pooled = matmul(weights.transpose(1, 2), x);                                          // (B, H, D)
        var attended = einsum("bhd,hed->bhe", pooled, valueWeight).reshape(batch, _dim);          // (B, D)
        var y = norm.forward(query + projDropout.forward(proj.forward(attended)));
        y = y + ffn.forward(y);
        return fc.forward(outputNorm.forward(y));
    }
}
