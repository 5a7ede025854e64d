using Scott.Lab.Engine.Models;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Tests.Models;

public class PositionEmbeddingTests
{
    // A non-square grid, so that a row/column swap shows.
    private const int D = 16, Rows = 3, Cols = 5;

    [Fact]
    public void Shape_is_N_by_D()
    {
        using var pe = PositionEmbedding.SinCos2D(D, Rows, Cols);
        Assert.Equal(new long[] { Rows * Cols, D }, pe.shape);
        Assert.Equal(ScalarType.Float32, pe.dtype);
    }

    [Fact]
    public void First_half_depends_only_on_the_row_and_second_half_only_on_the_column()
    {
        using var pe = PositionEmbedding.SinCos2D(D, Rows, Cols);
        var v = pe.data<float>().ToArray();
        float At(int r, int c, int ch) => v[(r * Cols + c) * D + ch];
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Cols; c++)
                for (int ch = 0; ch < D; ch++)
                {
                    if (ch < D / 2) Assert.Equal(At(r, 0, ch), At(r, c, ch));
                    else Assert.Equal(At(0, c, ch), At(r, c, ch));
                }
        // And each half really varies along its own axis.
        Assert.NotEqual(At(0, 0, 0), At(1, 0, 0));
        Assert.NotEqual(At(0, 0, D / 2), At(0, 1, D / 2));
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(1, 4)]
    [InlineData(0, 0)]
    public void Values_follow_the_formula(int r, int c)
    {
        using var pe = PositionEmbedding.SinCos2D(D, Rows, Cols);
        var v = pe.data<float>().ToArray();
        int quarter = D / 4, token = r * Cols + c;
        for (int i = 0; i < quarter; i++)
        {
            double omega = Math.Pow(10000, -(double)i / quarter);
            Assert.Equal(Math.Sin(r * omega), v[token * D + i], 1e-6);
            Assert.Equal(Math.Cos(r * omega), v[token * D + quarter + i], 1e-6);
            Assert.Equal(Math.Sin(c * omega), v[token * D + 2 * quarter + i], 1e-6);
            Assert.Equal(Math.Cos(c * omega), v[token * D + 3 * quarter + i], 1e-6);
        }
    }

    [Fact]
    public void One_hand_checked_entry()
    {
        // D = 16: quarter 4, omega_1 = 10000^(-1/4) = 0.1; row 2, column 3, channel 8 + 1 = sin(3 * 0.1).
        using var pe = PositionEmbedding.SinCos2D(D, Rows, Cols);
        Assert.Equal(0.29552020666, pe[2 * Cols + 3, 9].item<float>(), 1e-6);
        // channel 4 + 1 = cos(2 * 0.1)
        Assert.Equal(0.98006657784, pe[2 * Cols + 3, 5].item<float>(), 1e-6);
    }

    [Fact]
    public void Width_not_divisible_by_4_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => PositionEmbedding.SinCos2D(18, 2, 2));
    }
}
