using Scott.Lab.Tokenizers.Layers;
using static TorchSharp.torch;

namespace Scott.Lab.Tokenizers.Tests;

public class MaxBlurPool2dTests
{
    [Fact]
    public void Max_comes_first_and_the_blur_pads_with_zeros()
    {
        using var pool = new MaxBlurPool2d(channels: 2);
        using var scope = NewDisposeScope();
        // A 0/1 checkerboard: every 2×2 max is 1, so the blur sees a 7×7 map of ones. A blur alone would give ~0.5.
        var board = ((arange(8).unsqueeze(1) + arange(8).unsqueeze(0)) % 2).to_type(ScalarType.Float32);
        var x = board.expand(1, 2, 8, 8);

        var y = pool.forward(x);

        // Output i reads rows 2i−1..2i+1 of the 7×7 map; rows −1 and 7 are zero padding, losing 1/4 of the weight.
        var edge = tensor(new[] { 0.75f, 1f, 1f, 0.75f });
        var expected = edge.outer(edge).expand(1, 2, 4, 4);
        Assert.Equal(new long[] { 1, 2, 4, 4 }, y.shape);
        Assert.True(TokenizerFactory.MaxAbs(y - expected) < 1e-6);
    }
}
