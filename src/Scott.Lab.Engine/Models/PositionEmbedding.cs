using static TorchSharp.torch;

namespace Scott.Lab.Engine.Models;

/// <summary>Fixed 2D sine-cosine position embedding (MAE / I-JEPA style).</summary>
public static class PositionEmbedding
{
    /// <summary>
    /// (gridH·gridW, D), row-major over the grid. Channels [0, D/2) encode the row, [D/2, D) the column; each half is
    /// [sin, cos] of pos·ω_i with ω_i = 1/10000^(i/(D/4)), i = 0..D/4−1.
    /// </summary>
    public static Tensor SinCos2D(int embedDim, int gridHeight, int gridWidth)
    {
        if (embedDim % 4 != 0) throw new ArgumentException($"Embedding width {embedDim} must be divisible by 4.", nameof(embedDim));
        int quarter = embedDim / 4;
        var table = new float[gridHeight * gridWidth * embedDim];
        for (int r = 0; r < gridHeight; r++)
            for (int c = 0; c < gridWidth; c++)
            {
                int row = (r * gridWidth + c) * embedDim;
                for (int i = 0; i < quarter; i++)
                {
                    double omega = 1.0 / Math.Pow(10000, i / (double)quarter);
                    table[row + i] = (float)Math.Sin(r * omega);
                    table[row + quarter + i] = (float)Math.Cos(r * omega);
                    table[row + 2 * quarter + i] = (float)Math.Sin(c * omega);
                    table[row + 3 * quarter + i] = (float)Math.Cos(c * omega);
                }
            }
        return tensor(table, new long[] { gridHeight * gridWidth, embedDim });
    }
}
