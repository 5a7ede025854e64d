using static TorchSharp.torch;

namespace Scott.Lab.Abstractions.Masking;

/// <summary>How the kept (visible) tokens are chosen.</summary>
public enum MaskMode { Blockwise, Uniform }

/// <summary>
/// Keep-masks for masked image modelling: (B, N) float tensors, 1 = visible, with exactly
/// ceil((1 − ratio)·N) visible tokens in every row, drawn independently per sample.
/// </summary>
public sealed class TokenMaskGenerator
{
    private readonly int _gridHeight, _gridWidth;
    private readonly double _maskRatio;
    private readonly MaskMode _mode;
    private Random _random;

    public TokenMaskGenerator(int gridHeight, int gridWidth, double maskRatio, MaskMode mode, int seed)
    {
        if (gridHeight <= 0 || gridWidth <= 0) throw new ArgumentOutOfRangeException(nameof(gridHeight), "Grid must be positive.");
        if (maskRatio is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(maskRatio), maskRatio, "Mask ratio must be in [0, 1).");
        (_gridHeight, _gridWidth, _maskRatio, _mode) = (gridHeight, gridWidth, maskRatio, mode);
        _random = new Random(seed);
    }

    public int NumTokens => _gridHeight * _gridWidth;

    /// <summary>Exactly ceil((1 − ratio)·N) tokens stay visible.</summary>
    public int KeepCount => (int)Math.Ceiling((1 - _maskRatio) * NumTokens - 1e-9);

    /// <summary>Reseeds, so that the masks of step s depend only on (seed, s) and resume reproduces them.</summary>
    public void Reseed(int seed) => _random = new Random(seed);

    public Tensor Next(int batchSize, Device? device = null)
    {
        var data = new float[batchSize * NumTokens];
        for (int b = 0; b < batchSize; b++)
        {
            var row = new Span<float>(data, b * NumTokens, NumTokens);
            if (_mode == MaskMode.Uniform) FillUniform(row); else FillBlockwise(row);
        }
        return tensor(data, new long[] { batchSize, NumTokens }, device: device);
    }

    private void FillUniform(Span<float> row)
    {
        var order = Enumerable.Range(0, NumTokens).ToArray();
        _random.Shuffle(order);
        for (int i = 0; i < KeepCount; i++) row[order[i]] = 1;
    }

    // Rectangular blocks mark the kept region: area ~ U(16, remaining), log-uniform aspect in [0.3, 3.3],
    // up to 10 tries per block; when no block fits any more, single random tokens top it up to the exact count.
    private void FillBlockwise(Span<float> row)
    {
        int target = KeepCount, kept = 0;
        double logMin = Math.Log(0.3), logMax = Math.Log(1 / 0.3);
        while (kept < target)
        {
            int remaining = target - kept;
            int added = 0;
            for (int attempt = 0; attempt < 10 && added == 0; attempt++)
            {
                double area = remaining <= 16 ? remaining : 16 + _random.NextDouble() * (remaining - 16);
                double aspect = Math.Exp(logMin + _random.NextDouble() * (logMax - logMin));
                int h = (int)Math.Round(Math.Sqrt(area * aspect)), w = (int)Math.Round(Math.Sqrt(area / aspect));
                if (h < 1 || w < 1 || h > _gridHeight || w > _gridWidth) continue;
                int top = _random.Next(0, _gridHeight - h + 1), left = _random.Next(0, _gridWidth - w + 1);
                for (int y = top; y < top + h && kept + added < target; y++)
                    for (int x = left; x < left + w && kept + added < target; x++)
                    {
                        int i = y * _gridWidth + x;
                        if (row[i] == 0) { row[i] = 1; added++; }
                    }
            }
            if (added == 0)
            {
                // No block fitted in 10 tries: keep one random masked token so the loop always ends.
                int i;
                do { i = _random.Next(NumTokens); } while (row[i] != 0);
                row[i] = 1;
                added = 1;
            }
            kept += added;
        }
    }
}
