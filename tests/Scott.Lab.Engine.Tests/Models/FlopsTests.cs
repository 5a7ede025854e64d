using Scott.Lab.Tests.Shared;
using Scott.Lab.Engine.Models;

namespace Scott.Lab.Engine.Tests.Models;

public class FlopsTests
{
    [Fact]
    public void SwiGlu_block_flops_match_a_hand_count()
    {
        // N = 4 tokens, D = 8, SwiGLU hidden H = max(128, ...) = 128; 2 FLOPs per multiply-add.
        //   qkv   2·4·8·24   = 1536
        //   QKᵀ   2·4·4·8    =  256
        //   A·V   2·4·4·8    =  256
        //   proj  2·4·8·8    =  512
        //   w12   2·4·8·256  = 16384
        //   w3    2·4·128·8  = 8192
        var options = new ModelOptions { Width = 8, Heads = 2, Ffn = "swiglu" };
        Assert.Equal(128, options.SwiGluHidden);
        Assert.Equal(1536 + 256 + 256 + 512 + 16384 + 8192, TransformerBlock.FlopsPerImage(options, 4));
    }

    [Fact]
    public void Mlp_block_flops_match_a_hand_count()
    {
        // N = 4, D = 8, hidden 32: attention as above 2560; fc1 2·4·8·32 = 2048; fc2 2048.
        var options = new ModelOptions { Width = 8, Heads = 2, Ffn = "mlp" };
        Assert.Equal(2560 + 2048 + 2048, TransformerBlock.FlopsPerImage(options, 4));
    }

    [Fact]
    public void Encoder_flops_are_tokenizer_plus_depth_blocks_over_tokens_and_registers()
    {
        var options = VisionTransformerTests.Options(width: 8, depth: 3, heads: 2, registers: 2);
        using var tokenizer = new TinyPatchTokenizer(16, 3, 4, 8);
        using var vit = new VisionTransformer(tokenizer, options);
        // Tokenizer: 16 tokens · 8 outputs · (3·4·4) inputs · 2 = 12288.
        Assert.Equal(12288, tokenizer.ForwardFlopsPerImage);
        Assert.Equal(12288 + 3 * TransformerBlock.FlopsPerImage(options, 16 + 2), vit.ForwardFlopsPerImage);
        using var stack = new TransformerStack(options, 2, 4, 4, addPositionEmbedding: true);
        Assert.Equal(2 * TransformerBlock.FlopsPerImage(options, 16), stack.ForwardFlopsPerImage);
    }
}
