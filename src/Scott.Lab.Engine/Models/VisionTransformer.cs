using Scott.Lab.Abstractions.Masking;
using Scott.Lab.Abstractions.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Models;

/// <summary>
/// Tokenizer + ViT encoder (reference behaviour): masked tokens are replaced by a learned mask embedding and go
/// through every block (SimMIM style, no attention mask); optional registers; fixed 2D sin-cos positions;
/// no CLS token and no final norm.
/// </summary>
public sealed class VisionTransformer : EncoderModule
{
    private readonly TokenizerModule tokenizer;
    private readonly Parameter mask_token;
    private readonly Parameter? registers;
    private readonly Tensor pos_embed;
    private readonly Dropout pos_drop;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly ModelOptions _model;

    public VisionTransformer(TokenizerModule tokenizer, ModelOptions model) : base(nameof(VisionTransformer))
    {
        if (tokenizer.EmbedDim != model.Width)
            throw new ArgumentException($"Tokenizer width {tokenizer.EmbedDim} does not match model width {model.Width}.");
        _model = model;
        this.tokenizer = tokenizer;
        mask_token = nn.Parameter(torch.empty(1, 1, model.Width));
        WeightInit.TruncatedNormal_(mask_token, 1e-6);
        if (model.Registers > 0)
        {
            registers = nn.Parameter(torch.empty(1, model.Registers, model.Width));
            WeightInit.TruncatedNormal_(registers, 0.02);
        }
        pos_drop = nn.Dropout(model.Dropout);
        blocks = TransformerStack.CreateBlocks(model, model.Depth);
        RegisterComponents();
        // Fixed, derived from the grid: not part of the checkpoint (so set after RegisterComponents).
        pos_embed = PositionEmbedding.SinCos2D(model.Width, tokenizer.GridHeight, tokenizer.GridWidth).unsqueeze(0);
        register_buffer(nameof(pos_embed), pos_embed, persistent: false);
        TransformerStack.InitReference(blocks);
    }

    public override int GridHeight => tokenizer.GridHeight;
    public override int GridWidth => tokenizer.GridWidth;
    public override int EmbedDim => _model.Width;
    public int RegisterCount => _model.Registers;
    public IReadOnlyList<TransformerBlock> Blocks => blocks.ToList();

    public override long ForwardFlopsPerImage =>
        tokenizer.ForwardFlopsPerImage + _model.Depth * TransformerBlock.FlopsPerImage(_model, NumTokens + _model.Registers);

    public override Tensor forward(Tensor images, Tensor? keepMask)
    {
        using var scope = torch.NewDisposeScope();
        var x = Embed(images, keepMask);
        foreach (var block in blocks) x = block.forward(x);
        return DropRegisters(x).MoveToOuterDisposeScope();
    }

    /// <summary>Only the visible tokens go through the blocks (MAE); see <see cref="EncoderModule.ForwardVisible"/>.</summary>
    public override Tensor ForwardVisible(Tensor images, Tensor keepMask)
    {
        using var scope = torch.NewDisposeScope();
        var tokens = tokenizer.forward(images, keepMask) + pos_embed;
        var x = VisibleTokens.Gather(tokens, VisibleTokens.Indices(keepMask.to(tokens.device)));
        if (registers is not null) x = torch.cat(new[] { registers.expand(x.shape[0], -1, -1), x }, 1);
        x = pos_drop.forward(x);
        foreach (var block in blocks) x = block.forward(x);
        return DropRegisters(x).MoveToOuterDisposeScope();
    }

    /// <summary>The last block's attention, softmax(QKᵀ/√d): (B, heads, N, N) over patch tokens only, rows renormalised.</summary>
    public Tensor LastBlockAttention(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        var x = Embed(images, null);
        for (int i = 0; i < blocks.Count - 1; i++) x = blocks[i].forward(x);
        var weights = blocks[blocks.Count - 1].AttentionWeights(x);
        int r = _model.Registers;
        if (r > 0)
        {
            weights = weights[.., .., r.., r..];
            weights = weights / weights.sum(-1, keepdim: true);
        }
        return weights.MoveToOuterDisposeScope();
    }

    private Tensor Embed(Tensor images, Tensor? keepMask)
    {
        var x = tokenizer.forward(images, keepMask);
        if (keepMask is not null)
        {
            var keep = keepMask.to(x.dtype).unsqueeze(-1);
            x = x * keep + mask_token * (1 - keep);
        }
        x = x + pos_embed;
        if (registers is not null) x = torch.cat(new[] { registers.expand(x.shape[0], -1, -1), x }, 1);
        return pos_drop.forward(x);
    }

    private Tensor DropRegisters(Tensor x) => _model.Registers > 0 ? x[.., _model.Registers..] : x;
}

/// <summary>
/// A stack of reference blocks, optionally re-adding the position embedding first, then dropout (the MIM-JEPA
/// predictor, as the reference: rate <c>positionDropout</c>) or none (the MAE decoder: 0).
/// </summary>
public sealed class TransformerStack : TransformerModule
{
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly Tensor? pos_embed;
    private readonly Dropout pos_drop;
    private readonly ModelOptions _model;
    private readonly int _tokens;

    public TransformerStack(ModelOptions model, int depth, int gridHeight, int gridWidth, bool addPositionEmbedding, double positionDropout = 0)
        : base(nameof(TransformerStack))
    {
        if (positionDropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(positionDropout), positionDropout, "Dropout must be in [0, 1).");
        if (positionDropout > 0 && !addPositionEmbedding) throw new ArgumentException("Position dropout needs the position embedding.", nameof(positionDropout));
        _model = model;
        _tokens = gridHeight * gridWidth;
        blocks = CreateBlocks(model, depth);
        PositionDropout = positionDropout;
        pos_drop = nn.Dropout(positionDropout); // no parameters: the state dict is the same with or without it
        RegisterComponents();
        if (addPositionEmbedding)
        {
            pos_embed = PositionEmbedding.SinCos2D(model.Width, gridHeight, gridWidth).unsqueeze(0);
            register_buffer(nameof(pos_embed), pos_embed, persistent: false);
        }
        InitReference(blocks);
    }

    /// <summary>Dropout rate after the re-added position embedding, while training.</summary>
    public double PositionDropout { get; }

    public override long ForwardFlopsPerImage => blocks.Count * TransformerBlock.FlopsPerImage(_model, _tokens);

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        if (pos_embed is not null) x = pos_drop.forward(x + pos_embed);
        foreach (var block in blocks) x = block.forward(x);
        return x.MoveToOuterDisposeScope();
    }

    internal static ModuleList<TransformerBlock> CreateBlocks(ModelOptions model, int depth)
    {
        var list = new ModuleList<TransformerBlock>();
        for (int i = 0; i < depth; i++)
        {
            // Stochastic depth rates linspace(0, rate, depth).
            double rate = depth == 1 ? 0 : model.DropPath * i / (depth - 1);
            list.Add(new TransformerBlock(model, rate));
        }
        return list;
    }

    /// <summary>
    /// Reference init: every Linear weight ~ truncated normal(std 0.02), biases 0; then the attention projection and
    /// the FFN's last linear of block i are divided by √(2·(i+1)).
    /// </summary>
    internal static void InitReference(ModuleList<TransformerBlock> blocks)
    {
        using var _ = torch.no_grad();
        for (int i = 0; i < blocks.Count; i++)
        {
            foreach (var module in blocks[i].modules())
                if (module is Linear linear) WeightInit.Linear_(linear);
            double scale = Math.Sqrt(2.0 * (i + 1));
            blocks[i].Attention.Projection.weight!.div_(scale);
            blocks[i].FfnOutput.weight!.div_(scale);
        }
    }
}

/// <summary>Builds the run's encoders and transformers for objectives.</summary>
public sealed class ModelFactory(Func<TokenizerModule> createTokenizer, ModelOptions model) : IModelFactory
{
    private readonly (int h, int w) _grid = GridOf(createTokenizer);

    public int EmbedDim => model.Width;
    public int NumTokens => _grid.h * _grid.w;

    public EncoderModule CreateEncoder() => new VisionTransformer(createTokenizer(), model);

    public TransformerModule CreateTransformer(int depth, bool addPositionEmbedding)
        => new TransformerStack(model, depth, _grid.h, _grid.w, addPositionEmbedding);

    public TransformerModule CreateTransformer(int depth, double? positionDropout)
        => new TransformerStack(model, depth, _grid.h, _grid.w, addPositionEmbedding: true, positionDropout ?? model.Dropout);

    private static (int, int) GridOf(Func<TokenizerModule> create)
    {
        using var probe = create();
        return (probe.GridHeight, probe.GridWidth);
    }
}
